"""The embedding record: one item's embedding, stored beside the manifest in RUN/embeddings/*.parquet.

Kept out of the manifest so the manifest stays small enough to page through in the review UI; joined on item_id by
dedupe (semantic groups), the review UI (similarity search, preference model) and the encoder (conditioning).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

EMBEDDING_VERSION = 1

EMBEDDING_SCHEMA = pa.schema([
    pa.field("item_id", pa.string(), nullable=False),
    pa.field("model", pa.string(), nullable=False),       # e.g. "open_clip:ViT-B-32/laion2b_s34b_b79k" or ".../untrained"
    pa.field("untrained", pa.bool_(), nullable=False),    # true when the weights were random (tests, offline demo)
    pa.field("embedding", pa.list_(pa.float32()), nullable=False),   # L2-normalised
], metadata={"framesift.embedding.version": str(EMBEDDING_VERSION)})


@dataclass
class EmbeddingRecord:
    item_id: str
    model: str
    untrained: bool
    embedding: np.ndarray

    def to_record(self) -> dict:
        return {"item_id": self.item_id, "model": self.model, "untrained": self.untrained,
                "embedding": np.asarray(self.embedding, np.float32).tolist()}

    @classmethod
    def from_record(cls, rec: dict) -> "EmbeddingRecord":
        return cls(rec["item_id"], rec["model"], rec["untrained"], np.asarray(rec["embedding"], np.float32))


def embeddings_matrix(table: pa.Table) -> tuple[list[str], np.ndarray]:
    """(item ids, (N, D) float32) from an embeddings table, without a Python loop over rows."""
    ids = table.column("item_id").to_pylist()
    if table.num_rows == 0:
        return ids, np.zeros((0, 0), np.float32)
    flat = table.column("embedding").combine_chunks()
    values = flat.values.to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return ids, values.reshape(table.num_rows, -1)
