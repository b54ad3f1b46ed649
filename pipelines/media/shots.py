"""Hard-cut detection, the way PySceneDetect's ContentDetector does it: the mean absolute change of hue,
saturation and value between consecutive frames spikes at a cut and stays low within a shot.
"""
from __future__ import annotations

from typing import Iterable

import cv2
import numpy as np


def content_changes(frames: Iterable[np.ndarray]) -> list[float]:
    """HSV change (0-255 scale) from each frame to the next; frames are small RGB uint8 arrays."""
    changes, previous = [], None
    for rgb in frames:
        hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV_FULL).astype(np.int16)
        if previous is not None:
            changes.append(float(np.abs(hsv - previous).mean()))
        previous = hsv
    return changes


def find_cuts(changes: list[float], threshold: float, min_shot_frames: int) -> list[int]:
    """Frame indices at which a new shot starts (the frame after a change above threshold)."""
    cuts, last = [], 0
    for i, change in enumerate(changes):
        start = i + 1
        if change >= threshold and start - last >= min_shot_frames:
            cuts.append(start)
            last = start
    return cuts


def clip_spans(frame_count: int, cuts: list[int], fps: float, max_clip_s: float) -> list[tuple[int, int]]:
    """[start, end) frame spans: shots between cuts, long shots cut into pieces of at most max_clip_s."""
    bounds = [0] + [c for c in cuts if 0 < c < frame_count] + [frame_count]
    max_len = max(1, int(max_clip_s * fps))
    spans = []
    for start, end in zip(bounds, bounds[1:]):
        pieces = -(-(end - start) // max_len)
        step = -(-(end - start) // pieces)    # equal pieces, not one long and a stub
        spans.extend((s, min(s + step, end)) for s in range(start, end, step))
    return spans
