"""Turn a decoded sample into a manifest row: run every filter, record every score, list every failure.

Plain Python, shared by the Beam DoFns, the benchmark's bare multiprocessing baseline and `rethreshold`.
"""
from __future__ import annotations

import hashlib
from typing import Optional

from framesift.schemas import ManifestRow, Rejection
from framesift.schemas.columns import Col
from framesift.vocabulary import STAGE_FILTER
from pipelines.filters import Filter, Sample


def input_key(uri: str, input_root: str = "") -> str:
    """The uri relative to the run's input root (inputs.input_root): what names an input wherever the corpus lies."""
    root = input_root.rstrip("/")
    return uri[len(root) + 1:] if root and uri.startswith(root + "/") else uri


def item_id(key: str, content_sha256: str = "", span: Optional[tuple[int, int]] = None) -> str:
    """`key`: input_key(uri, root), unique within a run; with the file's sha256, ids of different corpora differ
    too. Never the absolute path: the duplicate tie-break (dedupe keep_order ends on item_id) must not depend on
    where the corpus or the run directory lies."""
    key = f"{key}#{content_sha256}" if span is None else f"{key}#{content_sha256}#frames={span[0]}-{span[1]}"
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def score_sample(filters: list[Filter], sample: Sample) -> dict[str, float]:
    scores: dict[str, float] = {}
    for f in filters:
        if f.applies_to(sample):
            scores.update(f.score(sample))
    return scores


def decide(filters: list[Filter], scores: dict[str, float]) -> list[Rejection]:
    return [r for f in filters for r in f.evaluate(scores)]


def apply_decision(row: ManifestRow, filters: list[Filter]) -> ManifestRow:
    """Recompute keep/reject_reasons from the recorded scores; rejections from other stages are kept."""
    others = [r for r in row.reject_reasons if r.stage != STAGE_FILTER]
    row.reject_reasons = decide(filters, row.scores) + others
    row.keep = not row.reject_reasons
    return row


def finish_row(row: ManifestRow, filters: list[Filter], meta: Optional[dict], config_hash: str) -> ManifestRow:
    """Attach sidecar metadata and the decision; the row is then final."""
    meta = meta or {}
    row.caption = meta.get(Col.CAPTION)
    row.metadata = {k: v for k, v in meta.items() if k != Col.CAPTION}
    row.reject_reasons = decide(filters, row.scores)
    row.keep = not row.reject_reasons
    row.config_hash = config_hash
    return row
