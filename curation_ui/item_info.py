"""What the Item page tabulates about one manifest row: every score against its threshold(s), the probe facts."""
from __future__ import annotations

import dataclasses

import numpy as np

from framesift.checks import Threshold, by_score, fails
from framesift.schemas import ManifestRow
from framesift.schemas.columns import Col

_SKIP = {Col.SCORES, Col.REJECT_REASONS, Col.METADATA, Col.MODELS, Col.SPECTRAL_PROFILE, Col.CAPTION}


def score_table(row: ManifestRow, thresholds: list[Threshold], extra: dict | None = None) -> list[dict]:
    """One line per score: value, the rule(s) it is held to, and whether it passes them now. `extra`: scores from
    beside the manifest (the feedback model's `preference`)."""
    rules = by_score(thresholds)
    scores = {**(extra or {}), **row.scores}
    out = []
    for key in sorted(set(scores) | set(rules)):
        value = scores.get(key)
        checks = [t for t in rules.get(key, []) if row.media_type in t.media_types]
        passes = [not fails(value, t.op, t.value) for t in checks]
        out.append({"score": key, "value": value,
                    "passes": (all(passes) if checks else None) if value is not None else None,
                    "rule": "; ".join(t.describe() for t in checks) or "(recorded only)",
                    "model": (row.models or {}).get(key, "feedback model" if key in (extra or {}) else "")})
    return out


def probe_fields(row: ManifestRow) -> list[dict]:
    out = []
    for f in dataclasses.fields(row):
        value = getattr(row, f.name)
        if f.name not in _SKIP and value not in (None, ""):
            out.append({"field": f.name, "value": str(value)})
    for k, v in sorted((row.metadata or {}).items()):
        out.append({"field": f"metadata.{k}", "value": str(v)})
    return out


def profile_series(row: ManifestRow) -> dict[str, list[float]] | None:
    """The manifest's spectral profile (linear bins DC..Nyquist, summing to 1) as log10 power per frequency."""
    prof = row.spectral_profile
    if not prof:
        return None
    p = np.asarray(prof, dtype=float)
    freq = (np.arange(len(p)) + 0.5) / len(p) * 0.5
    return {"frequency": freq[1:].tolist(), "log10_power": np.log10(p[1:] + 1e-12).tolist()}


def failing_checks(row: ManifestRow, thresholds: list[Threshold]) -> list[dict]:
    """Why the pipeline rejected the item, one line per failing check: its score, the rule and the threshold,
    and the `--set` key that moves the threshold (when a configured filter made the check)."""
    # keyed by score too: one filter may hold two checks with the same reason (sharpness and sharpness_fine)
    keys = {(t.filter, t.reason, t.score_key): t.set_key for t in thresholds}
    out = []
    for r in row.reject_reasons or []:
        rule = f"{r.score_key} {'>=' if r.op == 'min' else '<='} {r.threshold:.4g}" if r.threshold is not None else ""
        out.append({"check": f"{r.name}: {r.reason}", "score": r.score_key,
                    "value": None if r.score is None else float(f"{r.score:.6g}"), "rule (to pass)": rule,
                    "threshold": r.threshold, "stage": r.stage, "set with": keys.get((r.name, r.reason, r.score_key), "")})
    return out
