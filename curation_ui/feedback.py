"""Turn review decisions back into better filters.

1. Threshold agreement: for every configured check, the threshold on its score that best agrees with reviewers
   (approve = should pass, reject = should fail), measured on the labelled items that every *other* check passes
   (so an item rejected for darkness does not drag the sharpness threshold around). Written as `--set` arguments
   for `framesift rethreshold RUN_DIR $(cat RUN_DIR/feedback/suggested_thresholds.txt)`.
2. Preference model: a logistic regression on the scores (and on the embeddings, when RUN/embeddings/*.parquet
   exists), fitted on approve/reject, written as a new score per item (RUN/feedback/preference_scores.parquet),
   which the queue can then sort and filter by (`preference`).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from curation_ui.agreement import agreement, held_back_folds
from curation_ui.manifest_index import PREFERENCE_KEY, SCORE_PREFIX
from curation_ui.store import DecisionStore, now_iso
from framesift import run_files
from framesift.checks import Threshold
from framesift.run_layout import (EMBEDDINGS_DIR, FEEDBACK_SUMMARY_FILE, PREFERENCE_FILE,
                                  SUGGESTED_THRESHOLDS_FILE)
from framesift.schemas.columns import Col

LABELS = {"approve": 1, "reject": 0}


@dataclass
class Suggestion:
    score_key: str
    set_key: str
    op: str
    current: float
    suggested: Optional[float]      # None: too few usable labels
    n: int                          # labelled items this check was judged on
    approved: int
    current_accuracy: Optional[float] = None
    current_f1: Optional[float] = None
    suggested_accuracy: Optional[float] = None
    suggested_f1: Optional[float] = None
    # a threshold chosen without each held-back fold, scored on it: does choosing one agree better than chance?
    heldback_accuracy: Optional[float] = None
    chance_accuracy: Optional[float] = None
    p_value: Optional[float] = None
    better_than_chance: bool = False

    @property
    def improves(self) -> bool:
        """Worth changing: the suggestion agrees with reviewers on at least 1% (and 2) more labelled items, and a
        threshold chosen this way agrees with held-back decisions better than chance (else it fits noise)."""
        if self.suggested is None or self.suggested_accuracy is None or self.suggested == self.current:
            return False
        gain = (self.suggested_accuracy - self.current_accuracy) * self.n
        return gain >= max(2.0, 0.01 * self.n) - 1e-9 and self.suggested_f1 >= self.current_f1 \
            and self.better_than_chance

    @property
    def set_arg(self) -> str:
        return f"--set {self.set_key}={self.suggested!r}"


def _metrics(passes: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    tp = int((passes & (y == 1)).sum())
    fp = int((passes & (y == 0)).sum())
    fn = int((~passes & (y == 1)).sum())
    acc = float((passes == (y == 1)).mean())
    return acc, (2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)


def best_threshold(x: np.ndarray, y: np.ndarray, op: str, current: float) -> tuple[float, float, float]:
    """(threshold, accuracy, F1) maximising F1, then accuracy, then closeness to `current`; x has no NaN."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    n, pos = len(xs), int(ys.sum())
    # cut k: the k smallest values on one side. "min" passes xs[k:], "max" passes xs[:k]
    pos_below = np.concatenate([[0], np.cumsum(ys)])
    ks = np.concatenate([[0], np.nonzero(np.diff(xs))[0] + 1, [n]])      # only between distinct values
    if op == "min":
        tp, passed = pos - pos_below[ks], n - ks
    else:
        tp, passed = pos_below[ks], ks
    fp, fn = passed - tp, pos - tp
    tn = n - passed - fn
    acc = (tp + tn) / n
    denom = 2 * tp + fp + fn
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 1.0)
    lo = np.where(ks > 0, xs[np.maximum(ks - 1, 0)], -np.inf)     # the open interval of equivalent thresholds
    hi = np.where(ks < n, xs[np.minimum(ks, n - 1)], np.inf)
    margin = 0.01 * max(abs(xs[-1] - xs[0]), 1e-9)
    cand = np.where(np.isinf(lo), xs[0] - margin, np.where(np.isinf(hi), xs[-1] + margin, (lo + hi) / 2))
    # any threshold in an interval gives the same split: prefer the current one when it is in a best interval,
    # so no change is suggested for nothing
    with np.errstate(invalid="ignore"):
        inside = (lo < current) & (current <= hi) if op == "min" else (lo <= current) & (current < hi)
    score = np.lexsort((-np.where(inside, 0.0, np.abs(cand - current)), acc, f1))[-1]
    best = current if inside[score] else _round_within(float(cand[score]), lo[score], hi[score], op)
    return best, float(acc[score]), float(f1[score])


def _round_within(value: float, lo: float, hi: float, op: str) -> float:
    """The shortest decimal that still gives the same split, so `--set` lines stay readable."""
    for digits in range(1, 16):
        v = float(f"{value:.{digits}g}")
        if (lo < v <= hi) if op == "min" else (lo <= v < hi):
            return v
    return value


def suggest_thresholds(scores: dict[str, np.ndarray], y: np.ndarray, thresholds: list[Threshold],
                       min_labels: int = 6, rounds: int = 4,
                       present: Optional[dict[str, np.ndarray]] = None) -> list[Suggestion]:
    """scores: score key -> values for the labelled items; y: 1 approve, 0 reject; present: score key -> which
    items have that score (default: all). A missing score passes a check, a recorded NaN fails it
    (framesift.checks); neither says where a threshold should be, so neither is used to place one.

    Each check is judged on the labelled items that every other check passes. "Other checks" start at their
    configured thresholds and then move to their suggested ones (a few rounds of coordinate descent), so a
    stricter blur threshold the reviewers want does not pass its rejects off as evidence about exposure.
    """
    values = {t: t.value for t in thresholds}
    out: list[Suggestion] = []
    for _ in range(rounds):
        out = [s for s in (_suggest_one(t, scores, y, thresholds, values, min_labels, present or {})
                           for t in thresholds) if s]
        new = {t: next((s.suggested for s in out if s.set_key == t.set_key and s.improves), t.value)
               for t in thresholds}
        if new == values:
            break
        values = new
    return out


def _suggest_one(t: Threshold, scores, y, thresholds, values, min_labels, present) -> Optional[Suggestion]:
    x = scores.get(t.score_key)
    if x is None:
        return None
    others = np.ones(len(y), bool)
    for o in thresholds:
        if o is not t and o.score_key in scores:
            others &= o.passes(scores[o.score_key], values[o], present=present.get(o.score_key))
    mask = others & ~np.isnan(x)
    xm, ym = x[mask], y[mask]
    s = Suggestion(t.score_key, t.set_key, t.op, t.value, None, int(mask.sum()), int(ym.sum()))
    if len(ym) >= min_labels and 0 < ym.sum() < len(ym):
        s.current_accuracy, s.current_f1 = _metrics(t.passes(xm), ym)
        s.suggested, s.suggested_accuracy, s.suggested_f1 = best_threshold(xm, ym, t.op, t.value)
        correct = [t.passes(xm[test], best_threshold(xm[train], ym[train], t.op, t.value)[0]) == (ym[test] == 1)
                   for train, test in held_back_folds(ym)]
        a = agreement(np.concatenate(correct) if correct else np.zeros(0, bool), ym)
        s.heldback_accuracy, s.chance_accuracy, s.p_value = a["accuracy"], a["chance"], a["p_value"]
        s.better_than_chance = a["better_than_chance"]
    return s


def labelled(store: DecisionStore) -> dict[str, int]:
    table = store.decisions_table()
    return {i: LABELS[d] for i, d in zip(table.column(Col.ITEM_ID).to_pylist(), table.column("decision").to_pylist())
            if d in LABELS}


def embeddings_dataset(run_dir: str) -> Optional[ds.Dataset]:
    folder = run_files.join(run_dir, EMBEDDINGS_DIR)
    try:
        files = run_files.list_files(folder, ".parquet")
    except FileNotFoundError:
        return None
    fs, _ = run_files.filesystem(folder)
    return ds.dataset([run_files.filesystem(f)[1] for f in files], format="parquet", filesystem=fs) \
        if files else None


def _embedding_rows(dataset: ds.Dataset, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(matrix aligned with ids, NaN rows where an item has no embedding; has-embedding mask)."""
    from framesift.schemas import embeddings_matrix
    t = dataset.to_table(columns=[Col.ITEM_ID, "embedding"], filter=ds.field(Col.ITEM_ID).isin(pa.array(ids)))
    got, mat = embeddings_matrix(t)
    where = {i: k for k, i in enumerate(got)}
    dim = mat.shape[1] if mat.size else 0
    out = np.full((len(ids), dim), np.nan, np.float32)
    has = np.array([i in where for i in ids])
    if dim:
        out[has] = mat[[where[i] for i in ids if i in where]]
    return out, has


def _write_parquet(path: str, table: pa.Table) -> None:
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    run_files.write_bytes(path, buf.getvalue().to_pybytes())      # whole or not at all, local or gs://


def run_feedback(run_dir: str, query, store: DecisionStore, thresholds: list[Threshold],
                 min_labels: int = 6) -> dict:
    """Fit, score every item, suggest thresholds; write RUN/feedback/*; return the summary (also feedback.json)."""
    from curation_ui.preference import fit_preference, score_all
    labels = labelled(store)
    ids = list(labels)
    keys = [k for k in query.score_keys if k != PREFERENCE_KEY]
    table = query.table([Col.ITEM_ID] + [SCORE_PREFIX + k for k in keys], include_ids=ids)
    found = table.column(Col.ITEM_ID).to_pylist()
    y = np.array([labels[i] for i in found], int)
    scores, present = {}, {}
    for k in keys:
        col = table.column(SCORE_PREFIX + k) if SCORE_PREFIX + k in table.column_names else None
        scores[k] = col.to_numpy(zero_copy_only=False).astype(float) if col is not None \
            else np.full(len(found), np.nan)
        present[k] = col.is_valid().to_numpy(zero_copy_only=False) if col is not None \
            else np.zeros(len(found), bool)
    summary = {"fitted_at": now_iso(), "labelled": len(found), "approved": int(y.sum()),
               "suggestions": [], "preference": None}
    suggestions = suggest_thresholds(scores, y, thresholds, min_labels, present=present)
    summary["suggestions"] = [asdict(s) | {"improves": s.improves} for s in suggestions]
    run_files.write_bytes(run_files.join(run_dir, SUGGESTED_THRESHOLDS_FILE),
                          "".join(s.set_arg + "\n" for s in suggestions if s.improves).encode())
    emb = embeddings_dataset(run_dir)
    model = fit_preference(scores, y, keys, _embedding_rows(emb, found) if emb is not None else None, min_labels)
    if model is not None:
        _write_parquet(run_files.join(run_dir, PREFERENCE_FILE), score_all(model, query, keys, emb))
        summary["preference"] = model.summary()
    run_files.write_bytes(run_files.join(run_dir, FEEDBACK_SUMMARY_FILE), json.dumps(summary, indent=2).encode())
    return summary


def load_summary(run_dir: str) -> Optional[dict]:
    path = run_files.join(run_dir, FEEDBACK_SUMMARY_FILE)
    return json.loads(run_files.read_bytes(path)) if run_files.exists(path) else None
