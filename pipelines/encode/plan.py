"""The shard plan: which approved item goes to which shard, decided before anything is encoded.

Items are sorted by item id and cut into runs of `examples_per_shard`, so the assignment and the order inside a shard
depend only on the approved set, never on worker timing. Because the plan comes first, an interrupted job can be
rerun to encode just the shards that are missing, and each shard's fingerprint (its item ids + the encode config +
the autoencoder checkpoint hash) says whether a shard on disk belongs to this plan.
"""
from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from framesift.manifest_reader import read_manifest_file
from framesift.schemas import CAPTION_EMBEDDING, PICTURE_EMBEDDING, embeddings_matrix
from framesift.schemas.columns import Col
from framesift.schemas.latent import DATASET_NAME, SPLIT

# what the encoder needs of an approved row; the rest of the manifest stays behind
ROW_COLUMNS = (Col.ITEM_ID, Col.SOURCE_URI, Col.MEDIA_TYPE, Col.START_FRAME, Col.END_FRAME, Col.FPS, Col.WIDTH,
               Col.HEIGHT, Col.CAPTION, Col.SCORES, Col.METADATA, Col.CONFIG_HASH)


def shard_file_name(index: int, count: int) -> str:
    """TFDS's default ArrayRecord file template, so builder_from_directory finds the files."""
    return f"{DATASET_NAME}-{SPLIT}.array_record-{index:05d}-of-{count:05d}"


@dataclass
class ShardPlan:
    index: int
    count: int                      # shards in the dataset
    start: int                      # position of the shard's first item in the sorted approved set
    item_ids: list[str]
    fingerprint: str

    @property
    def file_name(self) -> str:
        return shard_file_name(self.index, self.count)


def read_approved(data: bytes, path: str) -> pa.Table:
    """The approved set (framesift export's Parquet: manifest columns + provenance), only the encoder's columns."""
    try:
        table = read_manifest_file(io.BytesIO(data), list(ROW_COLUMNS))
    except ValueError as e:
        raise ValueError(f"{path}: not an approved set written by framesift export ({e})") from None
    ids = table.column(Col.ITEM_ID)
    if pc.count_distinct(ids).as_py() != table.num_rows:
        raise ValueError(f"{path}: item ids are not unique")
    return table.sort_by([(Col.ITEM_ID, "ascending")])


# shard field <- column of the run's embedding records (framesift.schemas.embedding)
EMBEDDING_FIELDS = {"picture_embedding": PICTURE_EMBEDDING, "caption_embedding": CAPTION_EMBEDDING}


def attach_embeddings(table: pa.Table, embedding_tables: list[pa.Table]) -> pa.Table:
    """Add each item's picture and caption embeddings (the curate runs' open_clip embeddings, tables as
    framesift.schemas.read_embeddings returns them) where a run has them; null elsewhere."""
    ids = table.column(Col.ITEM_ID).to_pylist()
    for field, column in EMBEDDING_FIELDS.items():
        by_id: dict[str, Any] = {}
        for emb in embedding_tables:
            got, matrix = embeddings_matrix(emb, column)
            by_id.update(zip(got, matrix))
        sizes = sorted({len(v) for v in by_id.values()})
        if len(sizes) > 1:
            raise ValueError(f"the runs' {field}s have different sizes {sizes}: runs scored with different "
                             f"CLIP models cannot share one latent dataset")
        values = [by_id[i].tolist() if i in by_id else None for i in ids]
        table = table.append_column(field, pa.array(values, pa.list_(pa.float32())))
    return table


def fingerprint(parts: list[Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def make_plan(item_ids: list[str], examples_per_shard: int, job_fingerprint: str) -> list[ShardPlan]:
    """`item_ids` sorted; `job_fingerprint` covers everything but the ids (config, checkpoint, features)."""
    count = max(1, -(-len(item_ids) // examples_per_shard))
    plans = []
    for index in range(count):
        ids = item_ids[index * examples_per_shard:(index + 1) * examples_per_shard]
        plans.append(ShardPlan(index, count, index * examples_per_shard, ids,
                               fingerprint([job_fingerprint, index, count, ids])))
    return plans


def plan_fingerprint(plans: list[ShardPlan]) -> str:
    return fingerprint([p.fingerprint for p in plans])


def rows_of(table: pa.Table, plan: ShardPlan) -> pa.Table:
    """The plan's rows, in order (the table is sorted by item id, as the plan was made)."""
    rows = table.slice(plan.start, len(plan.item_ids))
    assert rows.column(Col.ITEM_ID).to_pylist() == plan.item_ids, "plan and approved table out of step"
    return rows
