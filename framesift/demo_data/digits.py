"""scikit-learn's 8x8 handwritten digits, rendered as ink on paper at a size a curation run accepts.

The raw digits are 8x8 with values 0..16: far below any minimum size and, upscaled on black, mostly clipped black.
Each digit is upscaled with nearest-neighbour (the blocks stay crisp, so it is not blurry) at a random cell size and
position on a 130 or 160 px sheet, drawn as dark ink on a light, slightly textured paper background (so it is
neither flat nor clipped); its class goes to the sidecar.

Digits of one class look alike, so candidates are drawn far apart from each other (greedy farthest-point selection
within each class) and placed differently; distinct.py then drops any that still hash too close to another.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .sources import load_digits

MARGIN = 4        # px of paper kept around the digit


@dataclass(frozen=True)
class Digit:
    index: int          # row in sklearn's load_digits()
    label: int
    cell: int           # px per 8x8 cell
    image: Image.Image

    @property
    def source(self) -> str:
        return f"sklearn:digits#{self.index}"

    @property
    def caption(self) -> str:
        return f"a handwritten digit {self.label} in dark ink on paper"

    @property
    def where(self) -> str:
        return (f"8x8 digit upscaled x{self.cell} (nearest) on a {self.image.width}x{self.image.height} "
                "textured paper sheet")


def pick_distinct(images: np.ndarray, targets: np.ndarray, per_class: int) -> list[int]:
    """Indices of `per_class` digits of every class, each as far (L2) as possible from those already taken."""
    chosen: list[int] = []
    flat = images.reshape(len(images), -1).astype(np.float64)
    for label in range(10):
        members = np.flatnonzero(targets == label)
        taken = [int(members[0])]
        dist = np.linalg.norm(flat[members] - flat[taken[0]], axis=1)
        while len(taken) < per_class:
            nxt = int(np.argmax(dist))
            taken.append(int(members[nxt]))
            dist = np.minimum(dist, np.linalg.norm(flat[members] - flat[members[nxt]], axis=1))
        chosen.extend(taken)
    return sorted(chosen)


def render(digit: np.ndarray, sheet: int, cell: int, rng: np.random.Generator) -> Image.Image:
    """Ink on paper: paper ~200..215 gray with a faint warm tint, grain and uneven light, ink ~35; nothing clips."""
    block = np.kron(digit.astype(np.float64) / 16.0, np.ones((cell, cell)))       # nearest-neighbour upscale
    n = block.shape[0]
    x, y = (int(v) for v in rng.integers(MARGIN, sheet - n - MARGIN + 1, size=2))
    coverage = np.zeros((sheet, sheet))
    coverage[y:y + n, x:x + n] = block
    paper = rng.uniform(200, 215) + rng.normal(0, 4.0, (sheet, sheet))
    paper += np.linspace(-6, 6, sheet)[None, :] * rng.choice([-1.0, 1.0])
    gray = paper * (1 - coverage) + rng.uniform(28, 45) * coverage
    rgb = np.clip(gray[..., None] * np.array([1.02, 1.0, 0.95]), 0, 255).round().astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


def digit_candidates(per_class: int, seed: int) -> list[Digit]:
    """per_class * 10 rendered digits, in dataset order, deterministic in `seed`."""
    images, targets = load_digits()
    rng = np.random.default_rng(seed)
    out = []
    for k, index in enumerate(pick_distinct(images, targets, per_class)):
        sheet = 160 if k % 3 == 0 else 130
        cell = int(rng.integers(10, 15)) if sheet == 160 else int(rng.integers(9, 13))
        out.append(Digit(index, int(targets[index]), cell, render(images[index], sheet, cell, rng)))
    return out
