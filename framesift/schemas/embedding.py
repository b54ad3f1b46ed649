"""The embedding record: one item's embeddings, stored beside the manifest in RUN/embeddings/*.parquet.

Kept out of the manifest so the manifest stays small enough to page through in the review UI; joined on item_id by
dedupe (semantic groups), the review UI (similarity search, preference model) and the encoder (conditioning).

Versions: 1 had the picture embedding only; 2 adds `caption_embedding` (the open_clip text embedding of the caption
the scorer already computes for caption_similarity; null when the item has no caption). `read_embeddings` is the
one reader: it reads every version up to EMBEDDING_VERSION, a column that version lacked as null, and refuses a
newer version.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Optional, Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

EMBEDDING_VERSION = 2
EMBEDDING_VERSION_KEY = "framesift.embedding.version"
PICTURE_EMBEDDING = "embedding"                 # open_clip image embedding (the name version 1 gave it)
CAPTION_EMBEDDING = "caption_embedding"         # open_clip text embedding of the caption

EMBEDDING_SCHEMA = pa.schema([
    pa.field("item_id", pa.string(), nullable=False),
    pa.field("model", pa.string(), nullable=False),       # e.g. "open_clip:ViT-B-32/laion2b_s34b_b79k" or ".../untrained"
    pa.field("untrained", pa.bool_(), nullable=False),    # true when the weights were random (tests, offline demo)
    pa.field(PICTURE_EMBEDDING, pa.list_(pa.float32()), nullable=False),   # L2-normalised
    pa.field(CAPTION_EMBEDDING, pa.list_(pa.float32()), nullable=True),    # L2-normalised; null: no caption
], metadata={EMBEDDING_VERSION_KEY: str(EMBEDDING_VERSION)})


@dataclass
class EmbeddingRecord:
    item_id: str
    model: str
    untrained: bool
    embedding: np.ndarray
    caption_embedding: Optional[np.ndarray] = None

    def to_record(self) -> dict:
        caption = self.caption_embedding
        return {"item_id": self.item_id, "model": self.model, "untrained": self.untrained,
                PICTURE_EMBEDDING: np.asarray(self.embedding, np.float32).tolist(),
                CAPTION_EMBEDDING: None if caption is None else np.asarray(caption, np.float32).tolist()}

    @classmethod
    def from_record(cls, rec: dict) -> "EmbeddingRecord":
        caption = rec.get(CAPTION_EMBEDDING)
        return cls(rec["item_id"], rec["model"], rec["untrained"], np.asarray(rec[PICTURE_EMBEDDING], np.float32),
                   None if caption is None else np.asarray(caption, np.float32))


def conform_embeddings(table: pa.Table) -> pa.Table:
    """`table` as read from an embeddings file of any readable version, with exactly EMBEDDING_SCHEMA's columns.
    A file without a version key is read as version 1 (what runs wrote before the key was checked)."""
    raw = (table.schema.metadata or {}).get(EMBEDDING_VERSION_KEY.encode(), b"1")
    try:
        version = int(raw)
    except ValueError:
        version = 0
    if not 1 <= version <= EMBEDDING_VERSION:
        raise ValueError(f"embeddings version {raw.decode(errors='replace')!r} is not supported (this framesift "
                         f"reads versions 1 to {EMBEDDING_VERSION}; upgrade framesift to read newer runs)")
    columns = []
    for f in EMBEDDING_SCHEMA:
        if f.name in table.column_names:
            columns.append(table.column(f.name).cast(f.type))
        elif f.nullable:
            columns.append(pa.nulls(table.num_rows, f.type))
        else:
            raise ValueError(f"embeddings file lacks column {f.name!r}")
    return pa.Table.from_arrays(columns, schema=EMBEDDING_SCHEMA)


def read_embeddings(source: Union[str, IO[bytes]]) -> pa.Table:
    """One RUN/embeddings/*.parquet file (a path or an open file), conformed to the current schema."""
    return conform_embeddings(pq.read_table(source))


def embeddings_matrix(table: pa.Table, column: str = PICTURE_EMBEDDING) -> tuple[list[str], np.ndarray]:
    """(item ids, (N, D) float32) of the rows where `column` is not null, without a Python loop over rows."""
    values = table.column(column)
    if values.null_count:
        table = table.filter(pc.is_valid(values))
    ids = table.column("item_id").to_pylist()
    if table.num_rows == 0:
        return ids, np.zeros((0, 0), np.float32)
    flat = table.column(column).combine_chunks()
    values = pc.list_flatten(flat).to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return ids, values.reshape(table.num_rows, -1)
