"""Each video frame decoded once: the split pass (item_work.split_video) decodes every frame for cut detection; it
also converts each decoded frame to the clip analysis size and keeps those frames here for the clip tasks that
follow in the same process, so analyze_clip need not decode its span a second time.

Exact by construction, never an approximation of analyze_clip's own decode (video_decode.iter_frames):
- converting one decoded frame twice (to the shot detector's size and to `analysis.video_max_side`) gives the same
  pixels as two separate decodes: swscale converts from the same decoded picture either way;
- a span is served from here only where "every frame with start <= index < end, in decode order" picks out the
  frames iter_frames would return for it: every frame carries a timestamp (so its index does not depend on where
  decoding started) and indices rise strictly (so a decode from the keyframe before the span and this decode from
  the start agree on which frames are in it); and only where all of the span's frames have its first frame's
  source size and display turn (iter_frames scales and turns a whole span as its first frame asks); and only
  where the decoder rejected no packet (after damage, decoding from a keyframe need not match decoding through).
Anywhere else (and when a clip task runs in another process, as Beam may spread them, or its frames did not fit
the budget) the clip is decoded again, as before.

Memory: the split pass keeps at most BUDGET_BYTES of frames (a longer video keeps the frames of its first clips);
the store holds at most BUDGET_BYTES per process, evicting the oldest clip first; a clip's frames leave it when its
task takes them. The key names the file's content (sha256), the span and the size, so nothing stale is served.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Hashable, Optional

import av
import numpy as np

from pipelines.media.video_decode import frame_rgb, quarter_turns, scaled_size

BUDGET_BYTES = 256 << 20        # ~2,300 frames at 256x144: a few minutes of video per process


class SplitPassFrames:
    """The analysis-size frames of one pass through a video, in decode order, while they fit `budget` bytes."""

    def __init__(self, max_side: int, budget: int = BUDGET_BYTES):
        self.max_side, self.budget = max_side, budget
        self.frames: list[tuple[int, np.ndarray, tuple[int, int, int]]] = []    # (index, RGB, geometry)
        self.nbytes = 0
        self.full = False           # frames after the kept ones were seen and not kept
        self.usable = True          # indices rise strictly and every frame has a timestamp
        self.last_index: Optional[int] = None
        self.skipped: list = []     # packets the decoder rejected (video_decode.decode_tolerant)

    def add(self, index: int, frame) -> None:
        if frame.time is None or (self.last_index is not None and index <= self.last_index):
            self.usable = False
        self.last_index = index
        if not self.usable:
            self.frames, self.nbytes = [], 0
            return
        if self.full:
            return
        geometry = (frame.width, frame.height, quarter_turns(frame))     # source size, quarter turns
        try:
            rgb = frame_rgb(frame, scaled_size(frame.width, frame.height, self.max_side), geometry[2])
        except (av.error.FFmpegError, ValueError):     # the clip task's own decode meets (and reports) it
            self.usable, self.frames, self.nbytes = False, [], 0
            return
        if self.nbytes + rgb.nbytes > self.budget:
            self.full = True
            return
        self.frames.append((index, rgb, geometry))
        self.nbytes += rgb.nbytes

    def span(self, start: int, end: int) -> Optional[list[np.ndarray]]:
        """iter_frames' frames for [start, end), or None where these cannot stand in for them."""
        if self.skipped or not self.usable or not self.frames or (self.full and self.frames[-1][0] < end - 1):
            return None
        picked = [(rgb, geometry) for index, rgb, geometry in self.frames if start <= index < end]
        if not picked or any(geometry != picked[0][1] for _, geometry in picked):
            return None
        return [rgb for rgb, _ in picked]


class ClipFrameStore:
    """Clip frames waiting for their clip task, at most `budget` bytes, oldest evicted first; thread-safe (Beam may
    run DoFns on several threads of one process)."""

    def __init__(self, budget: int = BUDGET_BYTES):
        self.budget = budget
        self._entries: OrderedDict[Hashable, tuple[list[np.ndarray], int]] = OrderedDict()
        self.nbytes = 0
        self._lock = threading.Lock()

    def put(self, key: Hashable, frames: list[np.ndarray]) -> None:
        size = sum(f.nbytes for f in frames)
        if size > self.budget:
            return
        with self._lock:
            self._drop(key)
            while self._entries and self.nbytes + size > self.budget:
                self._drop(next(iter(self._entries)))
            self._entries[key] = (frames, size)
            self.nbytes += size

    def take(self, key: Hashable) -> Optional[list[np.ndarray]]:
        with self._lock:
            entry = self._entries.get(key)
            self._drop(key)
        return entry[0] if entry else None

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry:
            self.nbytes -= entry[1]


PROCESS_STORE = ClipFrameStore()     # split_video fills it, analyze_clip in the same process empties it
