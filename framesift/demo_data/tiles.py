"""Cutting photos into non-overlapping tiles, and the quality bar a tile must clear to be labelled `clean`.

Tiles never overlap, so no two clean images share pixels; the bar is set well inside the curate filters' defaults
(min side 128, aspect <= 3, mean brightness 6%..94%, std >= 0.03) so that a clean item is never a borderline call.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .sources import PhotoSource, load_photo

MIN_STD = 16.0          # gray levels; the corpus promise is >= 12, kept with margin for lossy re-encoding
MIN_MEAN, MAX_MEAN = 45.0, 210.0
MAX_DARK_FRACTION = 0.5       # pixels below 30
MAX_BRIGHT_FRACTION = 0.5     # pixels above 230
MIN_SHARPNESS = 100.0         # variance of the 4-neighbour Laplacian, gray levels squared


@dataclass(frozen=True)
class Tile:
    source: PhotoSource
    box: tuple[int, int, int, int]      # left, top, right, bottom in the source photo
    image: Image.Image

    @property
    def where(self) -> str:
        x0, y0, x1, y1 = self.box
        return f"tile x={x0} y={y0} w={x1 - x0} h={y1 - y0}"

    @property
    def caption(self) -> str:
        return f"a tile of a {self.source.what}"


def grid_boxes(size: tuple[int, int], tile: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Non-overlapping tile boxes, row by row, with the leftover margin split evenly around the grid."""
    (w, h), (tw, th) = size, tile
    nx, ny = w // tw, h // th
    x0, y0 = (w - nx * tw) // 2, (h - ny * th) // 2
    return [(x0 + i * tw, y0 + j * th, x0 + (i + 1) * tw, y0 + (j + 1) * th) for j in range(ny) for i in range(nx)]


def laplacian_variance(gray: np.ndarray) -> float:
    g = gray.astype(np.float64)
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4.0 * g[1:-1, 1:-1]
    return float(lap.var())


def quality_problems(image: Image.Image) -> list[str]:
    """Why an image would not pass as clean; empty when it does."""
    gray = np.asarray(image.convert("L"), dtype=np.float64)
    w, h = image.size
    problems = []
    if min(w, h) < 128 or max(w, h) / min(w, h) > 3:
        problems.append("size")
    if gray.std() < MIN_STD:
        problems.append("flat")
    if not MIN_MEAN <= gray.mean() <= MAX_MEAN:
        problems.append("exposure")
    if (gray < 30).mean() > MAX_DARK_FRACTION or (gray > 230).mean() > MAX_BRIGHT_FRACTION:
        problems.append("clipped")
    if laplacian_variance(gray) < MIN_SHARPNESS:
        problems.append("soft")
    return problems


def cut_tiles(source: PhotoSource, require_quality: bool = True) -> list[Tile]:
    """The tiles of one photo, in grid order; only those that pass the quality bar when `require_quality`."""
    photo = load_photo(source.key)
    tiles = []
    for box in grid_boxes(photo.size, source.tile):
        image = photo.crop(box)
        if require_quality and quality_problems(image):
            continue
        tiles.append(Tile(source, box, image))
        if len(tiles) == source.max_tiles:
            break
    return tiles
