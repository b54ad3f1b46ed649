"""The Grain input pipeline over latent shards: seeded shuffle, batches of one latent shape, multi-host sharding,
prefetch, optional worker processes, and an iterator whose state can be checkpointed.

    ds = latent_dataset("shards/", batch_size=32, seed=0,
                        shard_options=grain.sharding.ShardOptions(jax.process_index(), jax.process_count()))
    it = iter(ds)
    batch = next(it)            # dict of numpy arrays, see `BATCH_FIELDS`
    state = it.get_state()      # save with the train state; it.set_state(state) resumes at the same batch

How batches are made: every epoch, each bucket's records (one bucket per latent shape "TxHxW", from the dataset's
buckets.json) are shuffled with a generator seeded by (seed, epoch) and cut into `batch_size` pieces (the short
remainder is dropped), then all batches of the epoch are shuffled together. A batch is a list of record indices,
so the plan is cheap, deterministic and needs no state beyond Grain's own index: restoring the iterator is exact.
With `shard_options`, each process takes every shard_count-th record of each bucket, after trimming the bucket to a
multiple of shard_count, so all processes see the same number of batches (SPMD steps stay in lockstep).

Latents leave the host as stored (float16 posterior mean `latent` and `latent_logvar`): sampling eps and normalising
are elementwise work an accelerator does for free, and the host's cores are better spent reading. On the device:
`model.data.device_latents(batch, key, info.metadata)` -> normalised posterior samples (jax). For a host-only
consumer, `sample_posterior=True` draws z = mean + exp(logvar / 2) * eps here (eps from Grain's per-element seeded
generator) and `normalize=True` applies (z - channel_mean) / channel_std (metadata.json); both give float32.
Images have T = 1, squeezed away by default, so an image batch is (B, h, w, C) and a clip batch (B, T, h, w, C).

Worker processes (`worker_count` > 0) are spawned, never forked; call this from under `if __name__ == "__main__"`.
grain 0.2.18 reads an absl flag in its workers before flags are parsed (grain issue 1355): we mark flags parsed.
"""
from __future__ import annotations

from typing import Any, Optional

import grain
import numpy as np

from model.data.latent_source import LatentShardSource, LatentShardsInfo

BATCH_FIELDS = ("latent", "latent_logvar", "label", "picture_embedding", "has_picture_embedding", "caption_embedding",
                "has_caption_embedding", "aesthetic", "motion", "original_size", "crop_coords", "target_size",
                "item_id", "caption", "index")


class BatchPlan:
    """Random-access source of batches of record indices: element i is batch i % per_epoch of epoch i // per_epoch.
    Infinite when `num_epochs` is None."""

    def __init__(self, buckets: list[np.ndarray], batch_size: int, seed: int, num_epochs: Optional[int]):
        self.buckets, self.batch_size, self.seed, self.num_epochs = buckets, batch_size, seed, num_epochs
        self.per_epoch = sum(len(b) // batch_size for b in buckets)
        if self.per_epoch == 0:
            raise ValueError(f"no bucket holds a full batch of {batch_size} records "
                             f"(bucket sizes {[len(b) for b in buckets]})")
        self._cached: tuple[int, list[np.ndarray]] = (-1, [])

    def __len__(self) -> int:
        return self.per_epoch * self.num_epochs if self.num_epochs is not None else np.iinfo(np.int64).max

    def epoch_batches(self, epoch: int) -> list[np.ndarray]:
        if self._cached[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            batches = []
            for indices in self.buckets:
                shuffled = rng.permutation(indices)
                full = len(shuffled) // self.batch_size * self.batch_size
                batches.extend(shuffled[:full].reshape(-1, self.batch_size))
            self._cached = (epoch, [batches[i] for i in rng.permutation(len(batches))])
        return self._cached[1]

    def __getitem__(self, index: int) -> np.ndarray:
        if self.num_epochs is not None and index >= len(self):
            raise IndexError(index)
        return self.epoch_batches(index // self.per_epoch)[index % self.per_epoch]

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_cached"}

    def __setstate__(self, state):
        self.__dict__.update(state, _cached=(-1, []))


class ReadBatch(grain.transforms.RandomMap):
    """Record indices -> a training batch (see BATCH_FIELDS)."""

    def __init__(self, source: LatentShardSource, info: LatentShardsInfo, sample_posterior: bool, normalize: bool,
                 squeeze_single_frame: bool):
        meta = info.metadata
        self.source, self.squeeze = source, squeeze_single_frame
        self.has_logvar = meta.store_logvar
        self.sample = sample_posterior and meta.store_logvar
        self.mean = np.asarray(meta.latent_channel_mean, np.float32) if normalize else None
        self.inv_std = 1.0 / np.maximum(np.asarray(meta.latent_channel_std, np.float32), 1e-6) if normalize else None
        self.dims = {"picture": int(meta.embedding_dims.get("picture", 0)),
                     "caption": int(meta.embedding_dims.get("caption", 0))}

    def random_map(self, indices: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
        examples = self.source.__getitems__(indices)
        latent = np.stack([ex["latent"] for ex in examples])
        logvar = np.stack([ex["latent_logvar"] for ex in examples]) if self.has_logvar else None
        if self.sample:
            latent = latent.astype(np.float32)
            latent += np.exp(0.5 * logvar.astype(np.float32)) * rng.standard_normal(latent.shape, dtype=np.float32)
        if self.mean is not None:
            latent = (latent.astype(np.float32) - self.mean) * self.inv_std
        if self.squeeze and latent.shape[1] == 1:
            latent = latent[:, 0]
            logvar = None if logvar is None else logvar[:, 0]
        batch = {"latent": latent, "index": np.asarray(indices, np.int64),
                 "label": np.asarray([ex["label"] for ex in examples], np.int32)}
        if logvar is not None and not self.sample:
            batch["latent_logvar"] = logvar
        for kind in ("picture", "caption"):
            vectors = [ex[f"{kind}_embedding"] for ex in examples]
            batch[f"has_{kind}_embedding"] = np.asarray([len(v) > 0 for v in vectors])
            batch[f"{kind}_embedding"] = np.stack(
                [v if len(v) else np.zeros(self.dims[kind], np.float32) for v in vectors]).reshape(len(vectors), -1)
        for name in ("aesthetic", "motion"):
            batch[name] = np.asarray([ex[name] for ex in examples], np.float32)
        for name in ("original_size", "crop_coords", "target_size"):
            batch[name] = np.stack([ex[name] for ex in examples])
        batch["item_id"] = np.asarray([ex["item_id"] for ex in examples]).astype(str)
        batch["caption"] = np.asarray([ex["caption"].decode("utf-8") for ex in examples])
        return batch


def bucket_indices(info: LatentShardsInfo, shard_options=None) -> list[np.ndarray]:
    """Record indices per bucket; with shard_options, this process's share (equal across processes)."""
    out = []
    for b in range(len(info.bucket_keys)):
        indices = np.nonzero(info.record_bucket == b)[0]
        if shard_options is not None and shard_options.shard_count > 1:
            count = shard_options.shard_count
            indices = indices[:len(indices) // count * count][shard_options.shard_index::count]
        out.append(indices)
    return out


def latent_dataset(shards_dir: str, *, batch_size: int, seed: int = 0, shard_options=None,
                   num_epochs: Optional[int] = None, sample_posterior: bool = False, normalize: bool = False,
                   squeeze_single_frame: bool = True, worker_count: int = 0, read_threads: int = 4,
                   prefetch_batches: int = 8) -> grain.IterDataset:
    """The training input: batches of `batch_size` examples of one latent shape (module docstring)."""
    info = LatentShardsInfo.read(shards_dir)
    source = LatentShardSource(shards_dir)
    plan = BatchPlan(bucket_indices(info, shard_options), batch_size, seed, num_epochs)
    ds = (grain.MapDataset.source(plan).seed(seed)
          .random_map(ReadBatch(source, info, sample_posterior, normalize, squeeze_single_frame)))
    it = ds.to_iter_dataset(grain.ReadOptions(num_threads=read_threads, prefetch_buffer_size=prefetch_batches))
    if worker_count > 0:
        _mark_flags_parsed()
        it = it.mp_prefetch(grain.MultiprocessingOptions(num_workers=worker_count,
                                                         per_worker_buffer_size=max(1, prefetch_batches // 2)))
    return it


def _mark_flags_parsed() -> None:
    from absl import flags
    if not flags.FLAGS.is_parsed():
        flags.FLAGS.mark_as_parsed()
