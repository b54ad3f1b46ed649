"""Random access to a latent shard dataset (framesift encode's output): a picklable Grain data source.

Records are read with Grain's ArrayRecordDataSource (one positioned read per record: the shards are written with
group_size:1) and decoded by the dataset's own features.json: the same bytes and features
`tfds.builder_from_directory(SHARDS).as_data_source("train")` decodes, through framesift's FastExampleDecoder (same
output as TFDS's numpy path, ~10x faster). Record i is the same example in all of them.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from framesift.schemas.latent import SPLIT, FastExampleDecoder
from framesift.schemas.latent_metadata import BUCKETS_FILE, METADATA_FILE, LatentDatasetMetadata


@dataclass
class LatentShardsInfo:
    """What a reader needs to know about a dataset directory, read once."""
    shards_dir: str
    files: list[str]                # shard paths in order
    metadata: LatentDatasetMetadata
    bucket_keys: list[str]          # latent shapes "TxHxW"
    record_bucket: np.ndarray       # (num_records,) index into bucket_keys

    @property
    def num_records(self) -> int:
        return len(self.record_bucket)

    @classmethod
    def read(cls, shards_dir: str) -> "LatentShardsInfo":
        with open(os.path.join(shards_dir, METADATA_FILE)) as f:
            meta = LatentDatasetMetadata.from_dict(json.load(f))
        files = [os.path.join(shards_dir, s.file) for s in meta.shards]
        with open(os.path.join(shards_dir, BUCKETS_FILE)) as f:
            buckets = json.load(f)
        record_bucket = np.asarray(buckets["record_bucket"], np.int32)
        if len(record_bucket) != meta.num_examples:
            raise ValueError(f"{shards_dir}: {BUCKETS_FILE} lists {len(record_bucket)} records, the shards hold "
                             f"{meta.num_examples}")
        return cls(shards_dir, files, meta, list(buckets["buckets"]), record_bucket)


def load_features(shards_dir: str):
    """The dataset's FeaturesDict, from its own features.json (not from this framesift's schema)."""
    import tensorflow_datasets as tfds
    return tfds.features.FeatureConnector.from_config(shards_dir)


class LatentShardSource:
    """`source[i]` -> the decoded example dict (numpy arrays, bytes for text). Picklable: worker processes reopen
    the files and reload the features from the directory."""

    def __init__(self, shards_dir: str):
        self.shards_dir = shards_dir
        self._open()

    def _open(self):
        from grain.sources import ArrayRecordDataSource
        info = LatentShardsInfo.read(self.shards_dir)
        self._records = ArrayRecordDataSource(info.files)
        self._decode = FastExampleDecoder(load_features(self.shards_dir))
        if len(self._records) != info.num_records:
            raise ValueError(f"{self.shards_dir}: shards hold {len(self._records)} records, metadata says "
                             f"{info.num_records}")

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self._decode(self._records[index])

    def __getitems__(self, indices) -> list[dict[str, Any]]:
        """A batch of examples: array_record reads the records of each shard in one parallel call."""
        return [self._decode(r) for r in self._records.__getitems__([int(i) for i in indices])]

    def raw(self, index: int) -> bytes:
        return self._records[index]

    def __getstate__(self):
        return {"shards_dir": self.shards_dir}

    def __setstate__(self, state):
        self.shards_dir = state["shards_dir"]
        self._open()

    def __repr__(self) -> str:
        return f"LatentShardSource({self.shards_dir!r}, split={SPLIT!r})"
