"""Deduping against earlier indexes and eval sets on one machine (--dedupe-against), as the tests check the Beam
job against: test code, the curate job does this in Beam (dedupe_index.ReadDedupeIndex into Dedupe)."""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np

from pipelines.dedupe.dedupe_index import read_dedupe_index
from pipelines.dedupe.dedupe_local import dedupe_records  # noqa: F401  (the tests take it from here)
from pipelines.dedupe.semantic import semantic_pairs, semantic_pairs_between


def index_embeddings(rows: list[Mapping[str, Any]]) -> tuple[list[int], np.ndarray]:
    """(positions of rows that carry an embedding, (k, D) float32)."""
    have = [i for i, r in enumerate(rows) if r.get("embedding") is not None]
    if not have:
        return [], np.zeros((0, 0), np.float32)
    return have, np.array([rows[i]["embedding"] for i in have], np.float32)


def _semantic(records, index_rows, cfg, embeddings):
    if cfg.semantic_epsilon <= 0 or not embeddings:
        return [], []
    ids = [r["item_id"] for r in records if r["item_id"] in embeddings]
    if not ids:
        return [], []
    x = np.stack([np.asarray(embeddings[i], np.float32) for i in ids])
    within = [(ids[a], ids[b]) for a, b in semantic_pairs(x, cfg.semantic_epsilon, cfg.semantic_clusters)]
    have, base = index_embeddings(index_rows)
    across = []
    if have:
        pairs = semantic_pairs_between(x, base, cfg.semantic_epsilon, cfg.semantic_clusters)
        across = [(ids[q], index_rows[have[b]]["item_id"]) for q, b in pairs]
    return within, across


def dedupe_against_index(records: Sequence[Mapping[str, Any]], index_rows: Sequence[Mapping[str, Any]], cfg,
                         embeddings: Optional[Mapping[str, np.ndarray]] = None) -> list[dict]:
    """`records` deduplicated among themselves and against `index_rows` (cfg: a DedupeConfig; embeddings: item_id
    -> vector for the new records, used when cfg.semantic_epsilon > 0)."""
    within, across = _semantic(records, index_rows, cfg, embeddings)
    return dedupe_records(records, cfg, within, index_rows, across)


def dedupe_against_paths(records: Sequence[Mapping[str, Any]], paths: Sequence[str], cfg,
                         embeddings: Optional[Mapping[str, np.ndarray]] = None) -> list[dict]:
    """As dedupe_against_index, reading the indexes of run directories / eval index directories in `paths`."""
    rows = [row for path in paths for row in read_dedupe_index(path)]
    return dedupe_against_index(records, rows, cfg, embeddings)
