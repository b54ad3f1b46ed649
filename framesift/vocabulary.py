"""The words the manifest and the dead letter use, defined once: which stage rejected an item, the reason codes
that do not come from a filter's own checks (those are declared by each filter, framesift.checks.Check), the
dead-letter stages, how untrained model weights are marked, and how a duplicate group is named."""
from __future__ import annotations

from typing import Iterable

# Rejection.stage: which part of the job rejected the item
STAGE_FILTER = "filter"                 # a quality filter's check (pipelines/filters); reason = the check's reason
STAGE_SCORE_MODELS = "score_models"     # the model-scoring stage could not score the item
STAGE_DEDUPE = "dedupe"                 # another member of its duplicate group was kept

# Rejection.reason codes outside the filters
REASON_MODEL_FAILED = "model_failed"    # unscored is not passing: an NSFW check that could not run must not pass
REASON_DUPLICATE = "duplicate"
REASON_EVAL_LEAKAGE = "eval_leakage"    # duplicates an item of an evaluation set (--dedupe-against an eval index)

# DeadLetter.stage: where an input or item failed
DEAD_INGEST = "ingest"
DEAD_ANALYZE_IMAGE = "analyze_image"
DEAD_SPLIT_VIDEO = "split_video"
DEAD_ANALYZE_CLIP = "analyze_clip"
DEAD_SCORE_MODELS = "score_models"

# model provenance strings ("<name>/<tag>", "<format>/untrained"): random weights are marked so that their scores
# are never mistaken for real ones
UNTRAINED = "untrained"


def is_untrained(provenance: str) -> bool:
    return provenance.endswith("/" + UNTRAINED)


DUPLICATE_GROUP_PREFIX = "dup-"


def duplicate_group_id(member_ids: Iterable[str]) -> str:
    """A group is named after its smallest member id, so the same members get the same name in every run."""
    return DUPLICATE_GROUP_PREFIX + min(member_ids)
