"""A corpus of 1 MP JPEGs cut from the real photos that ship inside wheels (scikit-image, scikit-learn), for
benchmarks/curate_throughput.py. Nothing is downloaded and nothing is upscaled: each picture is a 3x3 mosaic of
384x288 crops (1152x864 = 1.0 MP) taken at random places in 13 photos, some mirrored, saved at JPEG quality 90.
The same seed gives the same files.
"""
from __future__ import annotations

import os

import numpy as np
from PIL import Image

from framesift.demo_data.sources import load_photo

PHOTOS = ("skimage:astronaut", "skimage:coffee", "skimage:chelsea", "skimage:rocket", "skimage:ihc",
          "skimage:motorcycle_left", "sklearn:china", "sklearn:flower", "skimage:camera", "skimage:brick",
          "skimage:grass", "skimage:gravel", "skimage:coins")
TILE = (384, 288)
GRID = 3


def mosaic(rng: np.random.Generator) -> Image.Image:
    tw, th = TILE
    out = Image.new("RGB", (tw * GRID, th * GRID))
    for row in range(GRID):
        for col in range(GRID):
            photo = load_photo(PHOTOS[rng.integers(len(PHOTOS))]).convert("RGB")
            x = int(rng.integers(0, photo.width - tw + 1))
            y = int(rng.integers(0, photo.height - th + 1))
            tile = photo.crop((x, y, x + tw, y + th))
            if rng.random() < 0.5:
                tile = tile.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            out.paste(tile, (col * tw, row * th))
    return out


def build_corpus(out_dir: str, count: int, seed: int = 0, fmt: str = "JPEG") -> list[str]:
    """`count` pictures as out_dir/NNNNN.jpg (or .png); returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    ext = {"JPEG": "jpg", "PNG": "png"}[fmt]
    paths = []
    for i in range(count):
        path = os.path.join(out_dir, f"{i:05d}.{ext}")
        mosaic(rng).save(path, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        paths.append(path)
    return paths
