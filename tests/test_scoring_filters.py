"""The model-score filters hold thresholds only: they score nothing themselves (RunInference does), judge the
recorded scores with exact reasons, never fail an item that lacks the score, and null thresholds record only."""
import numpy as np

from framesift.config import load_config
from pipelines.filters import build_filters
from pipelines.filters.base import Sample


def test_model_score_filters_judge_recorded_scores_only():
    filters = {f.name: f for f in build_filters({"aesthetic": {"min": 5.0}, "nsfw": {"max": 0.5},
                                                 "caption_similarity": {"min": 0.2}})}
    sample = Sample("image", 64, 64, [np.zeros((64, 64, 3), np.uint8)])
    assert all(f.score(sample) == {} for f in filters.values())
    scores = {"aesthetic": 4.2, "nsfw": 0.9, "caption_similarity": 0.1}
    assert [r.describe() for f in filters.values() for r in f.evaluate(scores)] == [
        "aesthetic: low_aesthetic (aesthetic 4.2 < min 5)",
        "nsfw: nsfw (nsfw 0.9 > max 0.5)",
        "caption_similarity: caption_mismatch (caption_similarity 0.1 < min 0.2)"]
    # no caption, scoring off: nothing to judge, nothing fails
    assert [r for f in filters.values() for r in f.evaluate({})] == []


def test_default_config_records_model_scores_without_judging_them():
    filters = {f.name: f for f in build_filters(load_config("curate").filters)}
    scores = {"aesthetic": -100.0, "nsfw": 1.0, "caption_similarity": -1.0}
    assert [r for name in ("aesthetic", "nsfw", "caption_similarity") for r in filters[name].evaluate(scores)] == []
