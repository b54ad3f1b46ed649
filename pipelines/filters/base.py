"""What a filter is: score a sample, then compare each score with a threshold from the config.

Scoring and deciding are separate (as in NeMo Curator's ScoreFilter): every score is recorded on every item,
kept or not, and `evaluate` is a pure function of the recorded scores and the parameters, so thresholds can be
changed and re-applied to an existing manifest without decoding a single frame. No Beam in here.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Optional

import numpy as np

from framesift.checks import Check, fails
from framesift.schemas import Rejection
from framesift.vocabulary import STAGE_FILTER
from pipelines.media.luma import level_histogram, luma, luma_levels  # noqa: F401  (the filters take luma from here)


@dataclass
class Sample:
    """What filters see: decoded pixels at analysis resolution plus the probe facts about the original."""
    media_type: str                 # "image" or "clip"
    width: int                      # original size, after EXIF orientation
    height: int
    frames: list[np.ndarray]        # RGB uint8 (H, W, 3); one for an image, consecutive frames for a clip
    fps: Optional[float] = None
    duration_s: Optional[float] = None
    # images: an unscaled centre crop of the decoded picture, for frequency analysis (spectral), which the
    # analysis-size frame cannot support: downscaling hides upscaling
    detail: Optional[np.ndarray] = None
    # what several filters derive from the same pixels (luma, the spectrum) is computed once per sample
    _derived: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def keyframe_index(self) -> int:
        return len(self.frames) // 2

    @property
    def keyframe(self) -> np.ndarray:
        return self.frames[self.keyframe_index]

    def luma(self, index: int) -> np.ndarray:
        """Rec. 601 luma of frame `index`, computed once however many filters ask."""
        return self.derived(("luma", index), lambda: luma(self.frames[index]))

    def luma_levels(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(grey levels, their histogram) of frame `index`'s luma: entropy and the luma percentile read them."""
        def compute():
            levels = luma_levels(self.luma(index))
            return levels, level_histogram(levels)
        return self.derived(("levels", index), compute)

    def luma_var(self, index: int) -> np.float32:
        """Variance of frame `index`'s luma (`luma.var()`): the fine sharpness scale and the contrast both use it."""
        return self.derived(("luma_var", index), lambda: self.luma(index).var())

    def derived(self, key, compute: Callable[[], Any]):
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]


class Filter:
    name: ClassVar[str]
    media_types: ClassVar[tuple[str, ...]] = ("image", "clip")
    Params: ClassVar[type]
    checks: ClassVar[tuple[Check, ...]]

    def __init__(self, params):
        self.params = params

    def applies_to(self, sample: Sample) -> bool:
        return sample.media_type in self.media_types

    def score(self, sample: Sample) -> dict[str, float]:
        raise NotImplementedError

    def evaluate(self, scores: dict[str, float], stage: str = STAGE_FILTER) -> list[Rejection]:
        """Every failing check, not only the first, by the one threshold rule (framesift.checks.fails)."""
        failed = []
        for check in self.checks:
            threshold = getattr(self.params, check.param)
            value = scores.get(check.score_key)
            if fails(value, check.op, threshold):
                failed.append(Rejection(stage=stage, name=self.name, score_key=check.score_key, score=float(value),
                                        op=check.op, threshold=float(threshold), reason=check.reason))
        return failed

    def __repr__(self):
        return f"{type(self).__name__}({dataclasses.asdict(self.params)})"


class RecordedScoreFilter(Filter):
    """Holds a min and a max threshold on one recorded score."""
    score_key: str

    @dataclass
    class Params:
        min: Optional[float] = None
        max: Optional[float] = None

    def score(self, sample: Sample) -> dict[str, float]:
        return {}


def recorded_score_filter(score: str, low_reason: Optional[str] = None,
                          high_reason: Optional[str] = None) -> type[Filter]:
    """The filter class for thresholds on recorded score `score` (registered by build_filters for score heads)."""
    checks = (Check(score, "min", "min", low_reason or f"low_{score}"),
              Check(score, "max", "max", high_reason or f"high_{score}"))
    return type(f"RecordedScoreFilter[{score}]", (RecordedScoreFilter,), {"name": score, "score_key": score,
                                                                          "checks": checks})
