"""The thresholds a run was curated with, per score: read from RUN/config.yaml through the filters' own checks
(pipelines.filters is Beam-free), so the UI, the stats and the feedback loop name the exact `--set` key to change.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Optional

import numpy as np
import yaml

from framesift.config import ConfigError, CurateConfig, from_dict


@dataclass(frozen=True)
class Threshold:
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

    def passes(self, scores: np.ndarray, value: Optional[float] = None) -> np.ndarray:
        """Vectorised check; a missing (NaN) score never fails, as in Filter.evaluate."""
        t = self.value if value is None else value
        with np.errstate(invalid="ignore"):
            ok = scores >= t if self.op == "min" else scores <= t
        return ok | np.isnan(scores)

    def describe(self) -> str:
        return f"{self.score_key} {'>=' if self.op == 'min' else '<='} {self.value:.4g} ({self.set_key})"


def run_thresholds(run_dir: str) -> list[Threshold]:
    """Every active check of the run's filters; [] when the run has no config.yaml."""
    path = os.path.join(run_dir, "config.yaml")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        cfg = from_dict(CurateConfig, yaml.safe_load(f) or {})
    from pipelines.filters import build_filters
    try:
        filters = build_filters(cfg.filters)
    except (ConfigError, ValueError) as e:   # e.g. a filter this checkout does not have: show scores, no lines
        logging.getLogger(__name__).warning("thresholds of %s unavailable: %s", run_dir, e)
        return []
    out = []
    for flt in filters:
        for check in flt.checks:
            value = getattr(flt.params, check.param)
            if value is not None:
                out.append(Threshold(check.score_key, flt.name, check.param, check.op, float(value), check.reason,
                                     tuple(flt.media_types)))
    return out


def by_score(thresholds: list[Threshold]) -> dict[str, list[Threshold]]:
    out: dict[str, list[Threshold]] = {}
    for t in thresholds:
        out.setdefault(t.score_key, []).append(t)
    return out
