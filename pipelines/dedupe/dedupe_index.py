"""The dedupe index a run leaves in RUN_DIR/dedupe_index/*.parquet, so later runs (--dedupe-against RUN_DIR) dedupe
new inputs against it without decoding or hashing the old media again.

One row per item that passed the quality filters (kept items and the duplicates they represent: a new copy of an old
duplicate still joins the old group), with what grouping needs: exact keys, pHashes, optionally the embedding.
`role` is "curated" for a run's own items and "eval" for an eval set's index (overlap with it is leakage).
Local and gs:// paths both work (Beam FileSystems).
"""
from __future__ import annotations

import io
from typing import Any, Iterable, Mapping, Optional

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from framesift.run_layout import DEDUPE_INDEX_DIR as INDEX_DIR
from framesift.schemas.columns import Col
from pipelines import run_files as rd
from pipelines.dedupe.exact_keys import exact_keys
from pipelines.dedupe.representative import passes_quality

INDEX_VERSION = 1
ROLES = ("curated", "eval")

INDEX_SCHEMA = pa.schema([
    pa.field(Col.ITEM_ID, pa.string(), nullable=False),
    pa.field("role", pa.string(), nullable=False),
    pa.field(Col.MEDIA_TYPE, pa.string()),
    pa.field(Col.SOURCE_URI, pa.string()),
    pa.field("exact_keys", pa.list_(pa.string())),
    pa.field(Col.PHASH, pa.string()),
    pa.field(Col.PHASH_CROPS, pa.list_(pa.string())),
    pa.field(Col.PHASH_VIEWS, pa.list_(pa.string())),
    pa.field(Col.DUPLICATE_GROUP, pa.string()),
    pa.field("embedding", pa.list_(pa.float32())),        # L2-normalised, or null
], metadata={"framesift.dedupe_index.version": str(INDEX_VERSION)})


def index_row(record: Mapping[str, Any], role: str = "curated", embedding: Optional[np.ndarray] = None) -> dict:
    if role not in ROLES:
        raise ValueError(f"dedupe index role must be one of {ROLES}, got {role!r}")
    return {Col.ITEM_ID: record[Col.ITEM_ID], "role": role, Col.MEDIA_TYPE: record.get(Col.MEDIA_TYPE),
            Col.SOURCE_URI: record.get(Col.SOURCE_URI), "exact_keys": exact_keys(record),
            Col.PHASH: record.get(Col.PHASH), Col.PHASH_CROPS: list(record.get(Col.PHASH_CROPS) or []),
            Col.PHASH_VIEWS: list(record.get(Col.PHASH_VIEWS) or []),
            Col.DUPLICATE_GROUP: record.get(Col.DUPLICATE_GROUP),
            "embedding": None if embedding is None else np.asarray(embedding, np.float32).tolist()}


def belongs_in_index(record: Mapping[str, Any], role: str = "curated") -> bool:
    """Eval sets index everything; a run indexes what passed quality (kept items and their duplicates)."""
    return role == "eval" or passes_quality(record)


def write_dedupe_index(run_dir: str, records: Iterable[Mapping[str, Any]], role: str = "curated",
                       embeddings: Optional[Mapping[str, np.ndarray]] = None, shard: str = "part-00000") -> str:
    """Write one index shard atomically; returns its path."""
    embeddings = embeddings or {}
    rows = [index_row(r, role, embeddings.get(r[Col.ITEM_ID])) for r in records if belongs_in_index(r, role)]
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=INDEX_SCHEMA), buf)
    path = rd.join(run_dir, INDEX_DIR, f"{shard}.parquet")
    rd.write_atomic(path, buf.getvalue())
    return path


def index_files(path: str) -> list[str]:
    """Parquet shards under a run directory, an index directory, or a single shard."""
    if path.endswith(".parquet"):
        return [path]
    for pattern in (rd.join(path, INDEX_DIR, "*.parquet"), rd.join(path, "*.parquet")):
        found = sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)
        if found:
            return found
    raise FileNotFoundError(f"no dedupe index under {path} (expected {rd.join(path, INDEX_DIR)}/*.parquet)")


def read_dedupe_index(path: str) -> list[dict]:
    rows = []
    for shard in index_files(path):
        table = pq.read_table(io.BytesIO(rd.read_bytes(shard)))
        version = (table.schema.metadata or {}).get(b"framesift.dedupe_index.version")
        if version is None or int(version) != INDEX_VERSION:
            raise ValueError(f"{shard}: dedupe index version {version!r} is not supported "
                             f"(this framesift reads {INDEX_VERSION})")
        rows.extend(table.to_pylist())
    return rows


class WriteDedupeIndex(beam.PTransform):
    """Deduplicated records -> RUN_DIR/dedupe_index/part-*.parquet (no embeddings: those stay in RUN/embeddings)."""

    def __init__(self, run_dir: str, role: str = "curated", num_shards: int = 0):
        super().__init__()
        self.run_dir, self.role, self.num_shards = run_dir, role, num_shards

    def expand(self, records):
        role = self.role
        return (records
                | "Eligible" >> beam.Filter(belongs_in_index, role)
                | "IndexRow" >> beam.Map(index_row, role)
                | "Write" >> beam.io.WriteToParquet(rd.join(self.run_dir, INDEX_DIR, "part"), INDEX_SCHEMA,
                                                    file_name_suffix=".parquet", num_shards=self.num_shards))


class ReadDedupeIndex(beam.PTransform):
    """Index rows of earlier runs or eval sets (paths as for `index_files`), for Dedupe(index_rows=...)."""

    def __init__(self, paths: list[str]):
        super().__init__()
        self.paths = list(paths)

    def expand(self, pbegin):
        files = [f for p in self.paths for f in index_files(p)]
        return (pbegin | "IndexFiles" >> beam.Create(files)
                | "ReadIndex" >> beam.io.ReadAllFromParquet())
