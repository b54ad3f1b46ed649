"""How well something agrees with the reviewers on decisions it was not fitted on, against chance.

Chance is what always guessing the commoner decision (approve or reject) scores on the same items; "better than
chance" needs a one-sided binomial test at 5% as well as a higher accuracy, so 12 of 20 right is not proof. The
feedback page shows this for the preference model and suggests no threshold that fails it.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

ALPHA = 0.05


def held_back_folds(y: np.ndarray, max_folds: int = 5, seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stratified (train, held-back) index splits; none when either decision has fewer than 2 labels."""
    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority < 2:
        return iter(())
    from sklearn.model_selection import StratifiedKFold
    return StratifiedKFold(n_splits=min(max_folds, minority), shuffle=True, random_state=seed).split(
        np.zeros(len(y)), y)


def agreement(correct: np.ndarray, y: np.ndarray) -> dict:
    """correct[i]: whether the held-back prediction for item i matched the reviewer; y: the decisions (1/0)."""
    from scipy.stats import binomtest
    n = int(len(correct))
    if n == 0:
        return {"n": 0, "accuracy": None, "chance": None, "p_value": None, "better_than_chance": False}
    accuracy = float(np.mean(correct))
    chance = float(max(y.mean(), 1 - y.mean()))
    p = float(binomtest(int(np.sum(correct)), n, min(chance, 1 - 1e-9), alternative="greater").pvalue)
    return {"n": n, "accuracy": round(accuracy, 4), "chance": round(chance, 4), "p_value": round(p, 4),
            "better_than_chance": bool(accuracy > chance and p < ALPHA)}


def describe(a: dict, what: str) -> str:
    if not a.get("n"):
        return f"Too few approve/reject labels of both kinds to test {what} on held-back decisions."
    verdict = "better than chance" if a["better_than_chance"] else "NO better than chance"
    return (f"On {a['n']} held-back decisions (each judged without being fitted on) {what} agrees with the "
            f"reviewers on {a['accuracy']:.0%}; always guessing the commoner decision agrees on {a['chance']:.0%} "
            f"(p = {a['p_value']:.3g}): {verdict}.")
