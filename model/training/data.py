"""What the trainer reads: a `TrainingSet` (a Grain-style random-access source plus what the model must know about
it) and the Grain pipeline that turns it into per-process batches whose iterator state checkpoints exactly.

In memory (ArrayTrainingSet): a picklable source with `__len__` and `__getitem__(i) -> dict` holding "latent" (one
example, (H, W, C) or (T, H, W, C)), and "label" (int, -1 for none) and/or "embedding" ((D,)). On disk: latent shards
(shards.py, through model/data's reader). Latents are normalised per channel by the set's statistics, so the network
sees roughly unit-variance inputs; samples are mapped back with `denormalize` before decoding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import grain
import numpy as np


@dataclass
class TrainingSet:
    """What the model must know about a training set; subclasses say how to read its batches."""
    latent_shape: tuple[int, ...]
    num_classes: int = 0                  # labels are 0..num_classes-1 (-1: none); 0: the set has no labels
    embedding_dim: int = 0                # 0: the set has no embeddings
    latent_mean: Optional[np.ndarray] = None   # (C,); None: 0
    latent_std: Optional[np.ndarray] = None    # (C,); None: 1
    autoencoder: Optional[str] = None     # checkpoint that decodes samples; None: the "latents" are pixels in [-1, 1]
    autoencoder_loader: Optional[str] = None   # "module:function" that loads it
    class_names: list[str] = field(default_factory=list)

    def stats(self) -> tuple[np.ndarray, np.ndarray]:
        c = self.latent_shape[-1]
        mean = np.zeros(c, np.float32) if self.latent_mean is None else np.asarray(self.latent_mean, np.float32)
        std = np.ones(c, np.float32) if self.latent_std is None else np.asarray(self.latent_std, np.float32)
        if mean.shape != (c,) or std.shape != (c,) or not np.all(std > 0):
            raise ValueError(f"latent statistics must be ({c},) with std > 0; got {mean.shape}, {std.shape}")
        return mean, std

    def device_latents(self, batch: dict, key):
        """Inside the jitted step: the batch's latents as the network trains on them (float32, normalised).
        In-memory sets normalise on the host already; shards do it here, on the accelerator."""
        return batch["latent"]

    def dataset(self, condition: str, *, local_batch: int, seed: int, shard_index: int, shard_count: int,
                threads: int, prefetch: int) -> grain.IterDataset:
        """Endless batches for this process: {"latent": normalised (B, ...), and for condition "label": "label"
        (B,) int32, for "embedding": "embedding" (B, D); "cond_valid" (B,) bool: False where an example has no
        condition (it trains the null condition only)}."""
        raise NotImplementedError


class ArraySource:
    """An in-memory source: latents (N, ...) with optional labels (N,) and embeddings (N, D)."""

    def __init__(self, latents: np.ndarray, labels: Optional[np.ndarray] = None,
                 embeddings: Optional[np.ndarray] = None):
        self.latents = np.asarray(latents, np.float32)
        self.labels = None if labels is None else np.asarray(labels, np.int32)
        self.embeddings = None if embeddings is None else np.asarray(embeddings, np.float32)

    def __len__(self):
        return len(self.latents)

    def __getitem__(self, i):
        out = {"latent": self.latents[i]}
        if self.labels is not None:
            out["label"] = self.labels[i]
        if self.embeddings is not None:
            out["embedding"] = self.embeddings[i]
        return out


class _ToExample(grain.transforms.Map):
    """Normalise the latent and keep only the fields the model is conditioned on (fixed dtypes, so batches stack)."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, condition: str):
        self.mean, self.std, self.condition = mean, std, condition

    def map(self, record):
        out = {"latent": ((np.asarray(record["latent"], np.float32) - self.mean) / self.std).astype(np.float32)}
        if self.condition == "label":
            out["label"] = np.int32(record["label"])
            out["cond_valid"] = np.bool_(record["label"] >= 0)
        elif self.condition == "embedding":
            out["embedding"] = np.asarray(record["embedding"], np.float32)
            out["cond_valid"] = np.bool_(True)
        return out


@dataclass
class ArrayTrainingSet(TrainingSet):
    """A set held by a Grain-style source (ArraySource or any picklable `__len__`/`__getitem__` of such dicts)."""
    source: Any = None

    def dataset(self, condition, *, local_batch, seed, shard_index=0, shard_count=1, threads=2, prefetch=8):
        if len(self.source) < shard_count * local_batch:
            raise ValueError(f"{len(self.source)} examples cannot fill a batch of {local_batch} on each of "
                             f"{shard_count} processes")
        mean, std = self.stats()
        ds = grain.MapDataset.source(self.source)
        if shard_count > 1:
            ds = ds[shard_index::shard_count]
        ds = ds.shuffle(seed=seed).repeat(None).map(_ToExample(mean, std, condition))
        ds = ds.batch(local_batch, drop_remainder=True)
        return ds.to_iter_dataset(grain.ReadOptions(num_threads=max(threads, 1), prefetch_buffer_size=prefetch))


def denormalize(latents, data_mean: np.ndarray, data_std: np.ndarray):
    return latents * np.asarray(data_std, np.float32) + np.asarray(data_mean, np.float32)
