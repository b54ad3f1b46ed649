"""Numbers behind the Stats page, computed on one index column at a time (8 MB per million rows per score)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from framesift.checks import Threshold
from framesift.schemas import DECISIONS


def histogram(values: np.ndarray, bins: int = 60, log: bool = False) -> pd.DataFrame:
    v = values[~np.isnan(values)]
    if log:
        v = v[v > 0]
    if v.size == 0:
        return pd.DataFrame({"start": [], "end": [], "count": []})
    edges = np.geomspace(v.min(), v.max(), bins + 1) if log and v.min() < v.max() else \
        np.histogram_bin_edges(v, bins=bins)
    counts, edges = np.histogram(v, bins=edges)
    return pd.DataFrame({"start": edges[:-1], "end": edges[1:], "count": counts})


def kept_curve(values: np.ndarray, threshold: Threshold, points: int = 120,
               present: np.ndarray | None = None) -> pd.DataFrame:
    """Fraction of items (with this score) that would pass this one check if its threshold were t. `present`:
    which items have the score (default: all); a recorded NaN counts and never passes (framesift.checks)."""
    scored = values if present is None else values[np.asarray(present, bool)]
    v = np.sort(scored[~np.isnan(scored)])
    if v.size == 0:
        return pd.DataFrame({"threshold": [], "kept_fraction": []})
    lo, hi = min(v[0], threshold.value), max(v[-1], threshold.value)
    ts = np.unique(np.concatenate([np.quantile(v, np.linspace(0, 1, points)), np.linspace(lo, hi, points)]))
    # the same rule as every other check: passes(values, op, t) over the scored items, NaN included (fails)
    if threshold.op == "min":
        kept = (v.size - np.searchsorted(v, ts, side="left")) / scored.size
    else:
        kept = np.searchsorted(v, ts, side="right") / scored.size
    return pd.DataFrame({"threshold": ts, "kept_fraction": kept})


def progress(counts: dict[str, int], total: int) -> pd.DataFrame:
    decided = sum(counts.values())
    rows = [{"state": d, "items": counts.get(d, 0)} for d in DECISIONS]
    rows.append({"state": "undecided", "items": max(total - decided, 0)})
    return pd.DataFrame(rows)


def activity(audit: pd.DataFrame, freq: str = "h") -> pd.DataFrame:
    """Changes per reviewer per hour, from the audit log."""
    if audit.empty:
        return pd.DataFrame({"at": [], "reviewer": [], "changes": []})
    at = pd.to_datetime(audit["at"], utc=True).dt.floor(freq).dt.tz_convert(None)   # naive UTC for the chart
    return audit.assign(at=at).groupby(["at", "reviewer"]).size().rename("changes").reset_index()
