"""Turn a decoded sample into a manifest row: run every filter, record every score, list every failure.

Plain Python, shared by the Beam DoFns, the benchmark's bare multiprocessing baseline and `rethreshold`.
"""
from __future__ import annotations

import hashlib
from typing import Optional

from framesift.schemas import ManifestRow, Rejection
from framesift.vocabulary import STAGE_FILTER
from pipelines.filters import Filter, Sample


def item_id(uri: str, span: Optional[tuple[int, int]] = None) -> str:
    key = uri if span is None else f"{uri}#frames={span[0]}-{span[1]}"
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
