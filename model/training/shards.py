"""Latent shards (`framesift encode`'s TFDS dataset directory) as a TrainingSet, read by model/data's Grain reader.

Latents travel to the device as stored; the train step draws the posterior sample and normalises there
(model/data's device_latents). The DiT has one latent shape (its position table is fixed), so a run trains on one shape bucket ("TxHxW"): the one
named, else the most populous. Batches of other buckets are skipped as they come (the reader builds each batch from
one bucket) and the count of records left out is printed at start. Labels and embeddings come from the records:
`-1` labels and missing embeddings train the null condition only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import grain
import numpy as np

from model.data import LatentShardSource, LatentShardsInfo, device_latents, latent_dataset
from model.training.data import TrainingSet

DEFAULT_AUTOENCODER_LOADER = "model.autoencoder:load_autoencoder"


class _OfShape(grain.transforms.Filter):
    def __init__(self, shape: tuple[int, ...]):
        self.shape = tuple(shape)

    def filter(self, batch) -> bool:
        return tuple(batch["latent"].shape[1:]) == self.shape


class _ToModelBatch(grain.transforms.Map):
    """The reader's batch -> the fields the trainer puts on devices."""

    def __init__(self, condition: str, embedding_field: str):
        self.condition, self.embedding_field = condition, embedding_field

    def map(self, batch):
        # latents leave the host as stored (float16 mean, logvar): sampling and normalising happen on the device
        out = {k: batch[k] for k in ("latent", "latent_logvar") if k in batch}
        if self.condition == "label":
            out["label"] = batch["label"].astype(np.int32)
            out["cond_valid"] = batch["label"] >= 0
        elif self.condition == "embedding":
            out["embedding"] = batch[self.embedding_field].astype(np.float32)
            out["cond_valid"] = batch["has_" + self.embedding_field].astype(bool)
        return out


def _bucket_shape(key: str, channels: int) -> tuple[int, ...]:
    t, h, w = (int(v) for v in key.split("x"))
    return (h, w, channels) if t == 1 else (t, h, w, channels)


@dataclass
class ShardTrainingSet(TrainingSet):
    shards_dir: str = ""
    bucket: str = ""
    embedding_field: str = "picture_embedding"
    left_out: int = 0                   # records in other shape buckets
    metadata: Any = None                # the dataset's LatentDatasetMetadata

    @classmethod
    def open(cls, shards_dir: str, bucket: Optional[str] = None, num_classes: Optional[int] = None,
             autoencoder_loader: str = DEFAULT_AUTOENCODER_LOADER) -> "ShardTrainingSet":
        info = LatentShardsInfo.read(shards_dir)
        meta = info.metadata
        counts = {k: int(np.sum(info.record_bucket == i)) for i, k in enumerate(info.bucket_keys)}
        if not counts:
            raise ValueError(f"{shards_dir}: the dataset holds no records")
        if bucket is None:
            bucket = max(counts, key=lambda k: (counts[k], k))
        elif bucket not in counts:
            raise ValueError(f"{shards_dir}: no latent shape bucket '{bucket}' (buckets: {counts})")
        if num_classes is None:
            # labels are small ints in the records; one pass over this bucket's records finds how many classes
            source = LatentShardSource(shards_dir)
            chosen = np.nonzero(info.record_bucket == info.bucket_keys.index(bucket))[0]
            labels = [int(source[int(i)]["label"]) for i in chosen]
            num_classes = max(labels) + 1 if labels and max(labels) >= 0 else 0
        dims = meta.embedding_dims or {}
        field_name = "caption_embedding" if dims.get("caption", 0) else "picture_embedding"
        return cls(latent_shape=_bucket_shape(bucket, meta.latent_channels), num_classes=num_classes,
                   embedding_dim=int(dims.get(field_name.split("_")[0], 0)),
                   latent_mean=np.asarray(meta.latent_channel_mean, np.float32),
                   latent_std=np.maximum(np.asarray(meta.latent_channel_std, np.float32), 1e-6),
                   autoencoder=(meta.autoencoder or {}).get("checkpoint"), autoencoder_loader=autoencoder_loader,
                   shards_dir=shards_dir, bucket=bucket, embedding_field=field_name,
                   left_out=sum(counts.values()) - counts[bucket], metadata=meta)

    def device_latents(self, batch, key):
        """A fresh posterior sample per step (when the shards stored logvar), normalised per channel."""
        return device_latents(batch, key, self.metadata)

    def dataset(self, condition, *, local_batch, seed, shard_index=0, shard_count=1, threads=2, prefetch=8):
        options = grain.sharding.ShardOptions(shard_index=shard_index, shard_count=shard_count, drop_remainder=True)
        ds = latent_dataset(self.shards_dir, batch_size=local_batch, seed=seed, shard_options=options,
                            read_threads=threads, prefetch_batches=prefetch)
        return ds.filter(_OfShape(self.latent_shape)).map(_ToModelBatch(condition, self.embedding_field))
