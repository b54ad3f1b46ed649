"""What a latent dataset records about itself, beside TFDS's dataset_info.json: the dataset's provenance.

Stored as TFDS metadata (`SHARDS/metadata.json`), so `tfds.builder_from_directory(SHARDS).info.metadata` returns it
in a process that never imports framesift. It holds everything needed to trust and use the shards: which autoencoder
made them (checkpoint sha256 + config), from which curate runs (ids + config hashes), each shard's count and sha256,
and the per-channel latent mean/std the trainer normalises with. Nothing in it depends on when or where the job ran,
so a rerun on the same inputs writes the same bytes.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

LATENT_METADATA_VERSION = 1
METADATA_FILE = "metadata.json"         # TFDS's name for MetadataDict contents
BUCKETS_FILE = "buckets.json"           # {"buckets": [keys], "record_bucket": [index into keys per record]}


@dataclass
class ShardInfo:
    file: str                       # file name inside the dataset directory
    examples: int                   # records in the file
    planned: int                    # approved items assigned to the shard (examples + dead letters)
    dead_letters: int
    num_bytes: int
    sha256: str


@dataclass
class LatentDatasetMetadata:
    dataset_name: str
    split: str
    examples_per_shard: int         # planned items per shard (the last shard takes the rest)
    latent_channels: int
    latent_dtype: str
    store_logvar: bool
    # "posterior_sample": draw z = mean + exp(logvar / 2) * eps each time an example is read (logvar stored);
    # "mean": train on the posterior mean (no logvar stored)
    sampling: str
    autoencoder: dict[str, Any]     # {"checkpoint": path, "sha256": ..., "config": {...}}
    sources: list[dict[str, str]]   # [{"run": run id or path, "config_hash": ...}] of the curate runs approved from
    approved: dict[str, Any]        # {"path": ..., "sha256": ..., "rows": N}
    encode_config: dict[str, Any]
    encode_config_hash: str
    shards: list[ShardInfo] = field(default_factory=list)
    # per latent channel over every stored latent position (the trainer's normalisation)
    latent_channel_mean: list[float] = field(default_factory=list)
    latent_channel_std: list[float] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)   # approved, examples, dead_letters, reconciled
    # length of the embedding vectors where present ({"picture": 512, "caption": 0}); absent ones have length 0
    embedding_dims: dict[str, int] = field(default_factory=dict)
    # latent shapes "TxHxW" present, with their record counts; BUCKETS_FILE maps every record to one
    buckets: dict[str, int] = field(default_factory=dict)
    plan_fingerprint: str = ""      # sha256 over item ids per shard + configs + checkpoint: same plan, same bytes
    version: int = LATENT_METADATA_VERSION

    @property
    def num_examples(self) -> int:
        return sum(s.examples for s in self.shards)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LatentDatasetMetadata":
        version = data.get("version")
        if version != LATENT_METADATA_VERSION:
            raise ValueError(f"latent dataset metadata version {version!r} is not supported "
                             f"(this framesift reads {LATENT_METADATA_VERSION})")
        known = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["shards"] = [ShardInfo(**s) for s in data.get("shards", [])]
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "LatentDatasetMetadata":
        return cls.from_dict(json.loads(text))


def channel_stats(count: int, total: list[float], total_sq: list[float]) -> tuple[list[float], list[float]]:
    """Mean and standard deviation per channel from running sums (float64, combined across shards)."""
    if count <= 0:
        return [], []
    mean = [t / count for t in total]
    std = [max(sq / count - m * m, 0.0) ** 0.5 for sq, m in zip(total_sq, mean)]
    return mean, std

