"""Aligning two pictures that have too few corners for ORB (smooth gradients, a colour wheel, a foggy sky): a
similarity transform found by dense matching instead of keypoints, for verify.py's tile check to judge.

Copy edits that keep content at one scale are what verification must accept: crops (the copy is a part of the
original, magnified to the thumbnail size), borders (the original is a part of the copy) and photometric edits.
So one picture is searched for inside the other (both ways; verify.py tries B as is and mirrored) with normalised
cross-correlation (cv2.matchTemplate) at a few relative scales (FIT_FRACTIONS), on DENSE_SIDE-px grey pictures;
the best placement is refined with ECC (cv2.findTransformECC, affine: small rotations and uneven crops) at half
the verification size, only when the placement correlates at the caller's minimum. Cost: ~10 small template searches (and one ECC) per orientation, and only candidate pairs with too few
corners for ORB come here.
"""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

DENSE_SIDE = 96
# relative scales tried, as fractions of the scale where the smaller picture just fits the larger: 1 for borders
# and photometric edits, 1 - c for a crop of c of each side (up to ~28 %); ECC then corrects what lies between
FIT_FRACTIONS = (1.0, 0.92, 0.85, 0.78, 0.72)
_ECC_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 40, 1e-4)


def _shrink(gray: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    scale = side / max(gray.shape)
    size = (max(8, round(gray.shape[1] * scale)), max(8, round(gray.shape[0] * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA).astype(np.float32), scale


def _similarity(scale: float, dx: float, dy: float) -> np.ndarray:
    return np.float32([[scale, 0, dx], [0, scale, dy]])


def _place(outer: np.ndarray, inner: np.ndarray) -> tuple[float, np.ndarray]:
    """(NCC, inner -> outer transform) of the best placement of `inner` inside `outer` over FIT_FRACTIONS."""
    fit = min(outer.shape[0] / inner.shape[0], outer.shape[1] / inner.shape[1])
    best = (-1.0, None)
    for fraction in FIT_FRACTIONS:
        r = fit * fraction
        size = (max(4, round(inner.shape[1] * r)), max(4, round(inner.shape[0] * r)))
        if size[0] > outer.shape[1] or size[1] > outer.shape[0]:
            continue
        template = cv2.resize(inner, size, interpolation=cv2.INTER_AREA)
        if float(template.std()) < 1e-3:
            continue
        _, score, _, (x, y) = cv2.minMaxLoc(cv2.matchTemplate(outer, template, cv2.TM_CCOEFF_NORMED))
        if score > best[0]:
            best = (float(score), _similarity(size[0] / inner.shape[1], x, y))
    return best


def dense_transform(ga: np.ndarray, gb: np.ndarray, min_score: float) -> tuple[float, Optional[np.ndarray]]:
    """(NCC of the best placement, 2x3 transform mapping B's pixels onto A's) for grey pictures A and B at the
    verification size; no transform when no placement reaches `min_score` (nor refinement: it is the cost)."""
    a, sa = _shrink(ga, DENSE_SIDE)
    b, sb = _shrink(gb, DENSE_SIDE)
    score_ab, b_in_a = _place(a, b)         # B is a crop of A (A's pixels = T(B's pixels))
    score_ba, a_in_b = _place(b, a)         # A is a crop of B
    if b_in_a is None and a_in_b is None:
        return -1.0, None
    if a_in_b is None or (b_in_a is not None and score_ab >= score_ba):
        score, small = score_ab, b_in_a
    else:
        score, small = score_ba, cv2.invertAffineTransform(a_in_b)
    if score < min_score:
        return score, None
    # from the small pictures' pixels to the verification size's: x_a = small(x_b * sb) / sa
    transform = np.vstack([small, [0, 0, 1]]) @ np.diag([sb, sb, 1.0])
    return score, _refine(ga, gb, (transform[:2] / sa).astype(np.float32))


def _refine(ga: np.ndarray, gb: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """ECC refinement of B -> A at half the verification size; the initial transform when ECC does not converge."""
    half = np.diag([0.5, 0.5, 1.0])
    small = (half @ np.vstack([transform, [0, 0, 1]]) @ np.linalg.inv(half))[:2]
    # ECC's warp maps template (A) coordinates to input (B) coordinates: the inverse of ours
    warp = cv2.invertAffineTransform(small.astype(np.float32)).astype(np.float32)
    shrink = lambda g: cv2.resize(g, (max(8, g.shape[1] // 2), max(8, g.shape[0] // 2)),
                                  interpolation=cv2.INTER_AREA).astype(np.float32)
    try:
        _, warp = cv2.findTransformECC(shrink(ga), shrink(gb), warp, cv2.MOTION_AFFINE, _ECC_CRITERIA, None, 5)
    except cv2.error:
        return transform
    full = np.linalg.inv(half) @ np.vstack([cv2.invertAffineTransform(warp), [0, 0, 1]]) @ half
    return full[:2].astype(np.float32)
