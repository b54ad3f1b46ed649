"""Which member of a duplicate group is kept, and what every member's manifest record says afterwards.

The quality order is configurable as "name:asc|desc" terms (configs/curate.yaml `dedupe.keep_order`); a name is
looked up in the record's scores first, then its top-level fields, then a few derived sizes (short_side, long_side,
pixels). Ranking, best first:

  tier 0  an item of an earlier index (--dedupe-against): already curated, so new copies of it are the duplicates
  tier 1  an item that passes every quality filter
  tier 2  an item some quality filter rejected -- it never beats one that passes
  then the keep_order terms (a missing value ranks last), then item_id ascending, so the choice is deterministic.

A rejected member gets Rejection(stage="dedupe", name="dedupe", reason="duplicate" or "eval_leakage") (no score,
op or threshold: nothing was measured against one) and `duplicate_of` = the representative's item_id; the reason
stays a short code that reports can count. Every member gets duplicate_group = "dup-" + the smallest member item_id
(framesift.vocabulary.duplicate_group_id).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from framesift.schemas import Rejection
from framesift.schemas.columns import Col, RejectionField
from framesift.vocabulary import REASON_DUPLICATE as DUPLICATE
from framesift.vocabulary import REASON_EVAL_LEAKAGE as EVAL_LEAKAGE
from framesift.vocabulary import STAGE_DEDUPE as STAGE

TIER_INDEX, TIER_PASSES, TIER_REJECTED = 0, 1, 2


@dataclass(frozen=True)
class KeepOrder:
    terms: tuple[tuple[str, bool], ...]          # (name, descending)

    @classmethod
    def parse(cls, spec: list[str]) -> "KeepOrder":
        terms = []
        for term in spec:
            name, _, direction = term.partition(":")
            direction = direction or "desc"
            if not name or direction not in ("asc", "desc"):
                raise ValueError(f"keep_order term {term!r} must look like 'sharpness:desc' or 'bytes:asc'")
            terms.append((name, direction == "desc"))
        return cls(tuple(terms))


def _scores(record: Mapping[str, Any]) -> dict:
    scores = record.get(Col.SCORES) or {}
    return dict(scores) if not isinstance(scores, dict) else scores


def quality_value(record: Mapping[str, Any], name: str) -> Optional[float]:
    scores = _scores(record)
    if name in scores:
        value = scores[name]
    elif name in ("short_side", "long_side", "pixels") and record.get(Col.WIDTH) and record.get(Col.HEIGHT):
        w, h = record[Col.WIDTH], record[Col.HEIGHT]
        value = {"short_side": min(w, h), "long_side": max(w, h), "pixels": w * h}[name]
    else:
        value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return float(value)


def passes_quality(record: Mapping[str, Any]) -> bool:
    """No rejection from any stage other than dedupe itself (dedupe's own verdicts are recomputed)."""
    return not any(_field(r, RejectionField.STAGE) != STAGE for r in record.get(Col.REJECT_REASONS) or [])


def _field(rejection, name):
    return rejection[name] if isinstance(rejection, Mapping) else getattr(rejection, name)


def rank_key(record: Mapping[str, Any], order: KeepOrder, from_index: bool = False) -> tuple:
    """Sort key, smallest = the best representative (see the module docstring)."""
    if from_index:
        return (TIER_INDEX, (), record[Col.ITEM_ID])
    values = []
    for name, descending in order.terms:
        v = quality_value(record, name)
        values.append((1, 0.0) if v is None else (0, -v if descending else v))
    tier = TIER_PASSES if passes_quality(record) else TIER_REJECTED
    return (tier, tuple(values), record[Col.ITEM_ID])


@dataclass(frozen=True)
class GroupDecision:
    group_id: str
    representative: str
    reason: str = DUPLICATE          # for the members that are not the representative
    representative_from_index: bool = False   # an earlier index's item (ids can repeat across runs)

    def keeps(self, item_id: str) -> bool:
        return not self.representative_from_index and self.representative == item_id


def duplicate_rejection(reason: str = DUPLICATE) -> Rejection:
    """The rejection of a group member that is not its representative (the representative goes in duplicate_of)."""
    return Rejection(stage=STAGE, name=STAGE, score_key=None, score=None, op=None, threshold=None, reason=reason)


def apply_decision(record: Mapping[str, Any], decision: Optional[GroupDecision]) -> dict:
    """A copy of `record` with dedupe's verdict: earlier dedupe rejections dropped (so re-running is idempotent),
    duplicate_group set, a rejection and duplicate_of added unless it is the representative, keep recomputed."""
    out = dict(record)
    reasons = [r for r in record.get(Col.REJECT_REASONS) or [] if _field(r, RejectionField.STAGE) != STAGE]
    out[Col.DUPLICATE_GROUP] = out[Col.DUPLICATE_OF] = None
    if decision is not None:
        out[Col.DUPLICATE_GROUP] = decision.group_id
        if not decision.keeps(record[Col.ITEM_ID]):
            reasons.append(dataclasses.asdict(duplicate_rejection(decision.reason)))
            out[Col.DUPLICATE_OF] = decision.representative
    out[Col.REJECT_REASONS] = [r if isinstance(r, Mapping) else dataclasses.asdict(r) for r in reasons]
    out[Col.KEEP] = not out[Col.REJECT_REASONS]
    return out
