"""Geometric verification of a candidate near-duplicate pair: is picture B an edited copy of picture A?

Candidates come from region hashes (pipelines/media/perceptual_hash.region_phashes), which also match look-alikes
(neighbouring tiles of one photo, frames of one scene from another shot). So each candidate pair is checked on the
pictures themselves, as copy-detection systems do:
  1. ORB keypoints on both thumbnails (brought to VERIFY_SIDE), matched with Lowe's ratio test, B also mirrored;
  2. a similarity transform (scale, rotation, shift) fitted with RANSAC, kept only when it is plausible for an edit
     (scale 0.4-2.5, rotation <= 12 degrees) and has MIN_INLIERS inliers;
  3. B warped onto A and compared where they overlap (at least MIN_OVERLAP of A), tile by tile on an 8x8 grid:
     at least `min_agreeing` (70 %) of the tiles must correlate at `min_tile_ncc` or more. Not all: a caption band
     or a mark covers some tiles of a true copy; most: two different digits drawn on one textured background agree
     on the background tiles only (the demo corpus has such pairs, which a median over 4x4 tiles let through).
Pictures with too few corners for ORB (smooth gradients, a colour wheel: `few_corners`) are aligned densely
(align_dense.py: template search over crop scales, ECC refinement); smooth content correlates easily, so there both
the placement and the tiles must correlate at min_dense_ncc (0.9). On benchmarks/near_dup_testset.py every copy's
candidates verify and no look-alike's; densely aligned, the colour wheel's copies place at NCC 0.986-1.0 and the
best look-alike at 0.835.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from pipelines.dedupe.align_dense import dense_transform

VERIFY_SIDE = 384


@dataclass(frozen=True)
class VerifyParams:
    min_inliers: int = 8
    min_overlap: float = 0.3
    min_tile_ncc: float = 0.5
    min_agreeing: float = 0.7       # share of the overlap's 8x8 tiles that must agree
    max_rotation_deg: float = 12.0
    scale_range: tuple[float, float] = (0.4, 2.5)
    few_corners: int = 100          # fewer ORB keypoints than this on either picture: align densely instead
                                    # (textured photos in the near-dup set give 130-800)
    min_dense_ncc: float = 0.9      # dense alignment: placement NCC and per-tile NCC


@dataclass
class Features:
    gray: np.ndarray                          # uint8, longer side VERIFY_SIDE
    keypoints: list[np.ndarray]               # per orientation (as is, mirrored): (k, 2) float32 positions
    descriptors: list[Optional[np.ndarray]]   # per orientation: (k, 32) uint8 ORB descriptors


def to_gray(rgb: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    scale = VERIFY_SIDE / max(gray.shape)
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def features(rgb: np.ndarray) -> Features:
    gray = to_gray(rgb)
    orb = cv2.ORB_create(nfeatures=800, fastThreshold=10)
    points, descs = [], []
    for view in (gray, np.ascontiguousarray(gray[:, ::-1])):
        kp, des = orb.detectAndCompute(view, None)
        points.append(np.float32([k.pt for k in kp]).reshape(-1, 2))
        descs.append(des)
    return Features(gray, points, descs)


def _tile_ncc(a: np.ndarray, b: np.ndarray, valid: np.ndarray, grid: int = 8) -> list[float]:
    h, w = a.shape
    values = []
    for i in range(grid):
        for j in range(grid):
            sl = (slice(i * h // grid, (i + 1) * h // grid), slice(j * w // grid, (j + 1) * w // grid))
            m = valid[sl]
            if m.mean() < 0.5:
                continue
            x, y = a[sl][m].astype(np.float32), b[sl][m].astype(np.float32)
            x -= x.mean()
            y -= y.mean()
            denom = float(np.sqrt((x * x).sum() * (y * y).sum()))
            values.append(float((x * y).sum()) / denom if denom > 1e-6 else 0.0)
    return values


def _orb_transform(fa: Features, fb: Features, mirrored: int, p: VerifyParams) -> Optional[np.ndarray]:
    """B (mirrored or not) -> A similarity transform from ORB matches and RANSAC; None without enough inliers."""
    da, db = fa.descriptors[0], fb.descriptors[mirrored]
    if da is None or db is None or len(da) < p.min_inliers or len(db) < p.min_inliers:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(da, db, k=2)
    good = [m[0] for m in pairs if len(m) == 2 and m[0].distance < 0.8 * m[1].distance]
    if len(good) < p.min_inliers:
        return None
    pa = fa.keypoints[0][[g.queryIdx for g in good]]
    pb = fb.keypoints[mirrored][[g.trainIdx for g in good]]
    transform, inliers = cv2.estimateAffinePartial2D(pb, pa, method=cv2.RANSAC, ransacReprojThreshold=3.0)
    return None if transform is None or int(inliers.sum()) < p.min_inliers else transform


def _agreement(fa: Features, gb: np.ndarray, transform: np.ndarray, p: VerifyParams, min_ncc: float) -> float:
    """Share of the overlap's tiles where B, warped onto A by a plausible transform, correlates with A at >=
    min_ncc; 0 for an implausible transform or too little overlap."""
    scale = float(np.sqrt(abs(np.linalg.det(transform[:, :2]))))
    rotation = float(np.degrees(np.arctan2(transform[1, 0], transform[0, 0])))
    if not (p.scale_range[0] <= scale <= p.scale_range[1] and abs(rotation) <= p.max_rotation_deg):
        return 0.0
    size = (fa.gray.shape[1], fa.gray.shape[0])
    warped = cv2.warpAffine(gb, transform, size, flags=cv2.INTER_LINEAR, borderValue=0)
    valid = cv2.warpAffine(np.ones_like(gb), transform, size, flags=cv2.INTER_NEAREST, borderValue=0)
    valid = cv2.erode(valid, np.ones((5, 5), np.uint8)) > 0
    if valid.mean() < p.min_overlap:
        return 0.0
    smooth = lambda g: cv2.GaussianBlur(g, (0, 0), 1.5)       # resampling and JPEG noise are not content
    values = _tile_ncc(smooth(fa.gray), smooth(warped), valid)
    return float(np.mean(np.asarray(values) >= min_ncc)) if values else 0.0


def _match(fa: Features, fb: Features, mirrored: int, p: VerifyParams) -> float:
    """The tile agreement of B (mirrored or not) aligned onto A; 0 where no plausible alignment exists."""
    gb = fb.gray if mirrored == 0 else np.ascontiguousarray(fb.gray[:, ::-1])
    transform = _orb_transform(fa, fb, mirrored, p)
    if transform is not None:
        return _agreement(fa, gb, transform, p, p.min_tile_ncc)
    if min(len(fa.keypoints[0]), len(fb.keypoints[0])) >= p.few_corners:
        return 0.0
    # too few corners to match: align densely; smooth content correlates easily, so both the placement and
    # the tiles must correlate far more closely than keypoint-aligned textures need to
    _, transform = dense_transform(fa.gray, gb, p.min_dense_ncc)
    if transform is None:
        return 0.0
    return _agreement(fa, gb, transform, p, p.min_dense_ncc)


def same_picture(fa: Features, fb: Features, params: VerifyParams = VerifyParams()) -> bool:
    """True when B, as is or mirrored, aligns onto A by a plausible similarity transform and agrees with it."""
    return any(_match(fa, fb, mirrored, params) >= params.min_agreeing for mirrored in (0, 1))
