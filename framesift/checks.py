"""Check declarations and the one threshold rule.

A filter declares its checks (`Check`: score key, direction, config parameter, reason code); a run's config gives
each parameter a value, which makes it an active `Threshold`. The curate job records the active thresholds of a
run in RUN/thresholds.json, so the review UI, the report, the feedback loop and `rethreshold` all read the same
thresholds and apply the same rule, without importing the filters (and their OpenCV) themselves.

The rule, everywhere: a score passes a "min" check when score >= value and a "max" check when score <= value;
a NaN score fails (a measurement that went wrong is not evidence of quality); a missing score (the filter does
not apply, e.g. motion on an image) never fails.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Optional

import numpy as np

OPS = ("min", "max")


@dataclass(frozen=True)
class Check:
    """score `score_key` must be >= (op "min") or <= (op "max") the value of parameter `param`."""
    score_key: str
    op: str
    param: str
    reason: str

    def __post_init__(self):
        if self.op not in OPS:
            raise ValueError(f"check op must be one of {OPS}, got {self.op!r}")


def fails(value: Optional[float], op: str, threshold: Optional[float]) -> bool:
    """The threshold rule for one score: None (missing) or no threshold never fails, NaN always does."""
    if value is None or threshold is None:
        return False
    value = float(value)
    if np.isnan(value):
        return True
    return value < threshold if op == "min" else value > threshold


def passes(values: np.ndarray, op: str, threshold: float, present: Optional[np.ndarray] = None) -> np.ndarray:
    """The same rule, vectorised. `present`: which entries carry a score at all (default: all); an absent one
    passes, a present NaN fails."""
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        ok = values >= threshold if op == "min" else values <= threshold     # NaN compares False: fails
    return ok if present is None else ok | ~np.asarray(present, bool)


@dataclass(frozen=True)
class Threshold:
    """An active check: a filter's check with the value the run's config gave it."""
    score_key: str
    filter: str             # filter name, e.g. "sharpness"
    param: str              # its parameter, e.g. "min"
    op: str                 # "min": score must be >= value; "max": score must be <= value
    value: float
    reason: str
    media_types: tuple[str, ...]

    @property
    def set_key(self) -> str:
        return f"filters.{self.filter}.{self.param}"

    def passes(self, scores: np.ndarray, value: Optional[float] = None,
               present: Optional[np.ndarray] = None) -> np.ndarray:
        return passes(scores, self.op, self.value if value is None else value, present)

    def describe(self) -> str:
        return f"{self.score_key} {'>=' if self.op == 'min' else '<='} {self.value:.4g} ({self.set_key})"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"media_types": list(self.media_types)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Threshold":
        return cls(**{**d, "value": float(d["value"]), "media_types": tuple(d["media_types"])})


def active_thresholds(filters: Iterable[Any]) -> list[Threshold]:
    """Every check of the configured filters whose parameter has a value (None means record only). `filters`: the
    instances pipelines.filters.build_filters returns (name, media_types, checks, params)."""
    out = []
    for flt in filters:
        for check in flt.checks:
            value = getattr(flt.params, check.param)
            if value is not None:
                out.append(Threshold(check.score_key, flt.name, check.param, check.op, float(value), check.reason,
                                     tuple(flt.media_types)))
    return out


def by_score(thresholds: Iterable[Threshold]) -> dict[str, list[Threshold]]:
    out: dict[str, list[Threshold]] = {}
    for t in thresholds:
        out.setdefault(t.score_key, []).append(t)
    return out


def thresholds_to_json(thresholds: Iterable[Threshold]) -> str:
    return json.dumps({"thresholds": [t.to_dict() for t in thresholds]}, indent=2)


def thresholds_from_json(text: str) -> list[Threshold]:
    return [Threshold.from_dict(d) for d in json.loads(text)["thresholds"]]
