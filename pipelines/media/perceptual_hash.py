"""64-bit DCT perceptual hashes (pHash, as imagehash computes it), stored as 16 hex digits.

Near-duplicates (resized, re-encoded, brightness-shifted copies) land within a small Hamming distance of each other.
A 90% centre crop, though, moves a full-frame pHash by 8-26 bits on real photos — past any distance that keeps
distinct photos apart — so every item also carries the pHash of its own centre crop, which lands within a few bits
of a cropped copy's full-frame hash (pipelines/dedupe/graph_nodes.py searches both).

Views (`view_phashes`) cover edits that move a pHash by ~30 bits but keep the content: a horizontal flip (the
mirror image's hash) and letterbox/pillarbox borders (the hash of the picture with uniform borders trimmed).
Regions (`region_phashes`) cover caption bands, larger and off-centre crops and small rotations: hashes of the top
band and of centre and corner crops at two scales, of the picture and its mirror. A region hash alone is weak
evidence (tiles of one photo share textures), so region matches are only candidates, verified geometrically
(pipelines/dedupe/verify.py). On benchmarks/near_dup_testset.py an edited copy's full or region hash lands within
0-8 bits of one of its source's hashes for every edit but the 25 % side crops (10-16); unrelated look-alikes stay
above 10.
"""
from __future__ import annotations

import imagehash
import numpy as np
import scipy.fftpack
from PIL import Image

from framesift.schemas.columns import Col

CROP_FRACTIONS = (0.9,)
_HASH_SIDE = 32             # imagehash.phash: hash_size 8 x highfreq_factor 4


def phash_hex(rgb: np.ndarray) -> str:
    return str(imagehash.phash(Image.fromarray(np.ascontiguousarray(rgb)), hash_size=8))


def _square_phash(pixels: np.ndarray) -> str:
    """imagehash.phash's steps on its 32x32 grey picture (the same calls, so the same bits), without its
    per-hash image copies and its bit-by-bit hex formatting."""
    dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
    low = dct[:8, :8]
    return np.packbits((low > np.median(low)).ravel()).tobytes().hex()


class _CropHasher:
    """phash_hex of many crops of one grey picture, with the same values, at about half the cost.

    imagehash resizes each crop to 32x32 with Pillow's Lanczos, which is separable: a horizontal pass (each row on
    its own, coefficients set by the crop's width alone, rounded to 8 bits) then a vertical one. Crops that share
    their columns (the region grid has 3 column windows per scale) share their horizontal pass, so it runs once
    per window over the full height and each crop only adds its small vertical pass: Pillow's own code on the
    same rows, so the same bytes (tests/test_item_cost.py checks against phash_hex)."""

    def __init__(self, grey: np.ndarray):
        self.grey = grey
        self._strips: dict[tuple[int, int], Image.Image] = {}

    def __call__(self, top: int, left: int, height: int, width: int) -> str:
        strip = self._strips.get((left, width))
        if strip is None:
            columns = Image.fromarray(np.ascontiguousarray(self.grey[:, left:left + width]))
            strip = self._strips[left, width] = columns.resize((_HASH_SIDE, self.grey.shape[0]), Image.LANCZOS)
        square = strip.crop((0, top, _HASH_SIDE, top + height)).resize((_HASH_SIDE, _HASH_SIDE), Image.LANCZOS)
        return _square_phash(np.asarray(square))

    def whole(self) -> str:
        return self(0, 0, *self.grey.shape[:2])

    def centre(self, fraction: float) -> str:
        h, w = self.grey.shape[:2]
        ch, cw = max(1, round(h * fraction)), max(1, round(w * fraction))
        return self((h - ch) // 2, (w - cw) // 2, ch, cw)


def centre_crop(rgb: np.ndarray, fraction: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    ch, cw = max(1, round(h * fraction)), max(1, round(w * fraction))
    top, left = (h - ch) // 2, (w - cw) // 2
    return rgb[top:top + ch, left:left + cw]


def centre_crop_phashes(rgb: np.ndarray, fractions=CROP_FRACTIONS) -> list[str]:
    return [phash_hex(centre_crop(rgb, f)) for f in fractions]


def phashes(rgb: np.ndarray, fractions=CROP_FRACTIONS) -> tuple[str, list[str]]:
    """(full-frame pHash, centre-crop pHashes), the same values as phash_hex and centre_crop_phashes: imagehash
    converts to grey pixel by pixel, so converting once and cropping the grey picture changes nothing."""
    grey = np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).convert("L"))
    return phash_hex(grey), centre_crop_phashes(grey, fractions)


# a row or column belongs to a border when its pixels hardly vary (a letterbox bar, a scanner margin)
_BORDER_RANGE = 24          # max - min of the 8-bit values along the line
_MAX_BORDER = 1 / 3         # never trim more than this share of a side
# (crop scale, anchors of the kept box in the free room): corners and centre at 0.8, a 3x3 grid at 0.75
_CORNERS = ((0.5, 0.5), (0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0))
REGIONS = ((0.8, _CORNERS), (0.75, _CORNERS + ((0.0, 0.5), (1.0, 0.5), (0.5, 0.0), (0.5, 1.0))))
TOP_BAND = 0.8              # a caption band covers the bottom 10-20 %


def trim_borders(rgb: np.ndarray) -> np.ndarray:
    """The picture without uniform bars along its edges (each side at most a third)."""
    h, w = rgb.shape[:2]
    if h < 8 or w < 8:
        return rgb
    a = rgb.astype(np.int16)
    if a.ndim == 2:
        a = a[..., None]
    flat_rows = (a.max(axis=(1, 2)) - a.min(axis=(1, 2))) <= _BORDER_RANGE
    flat_cols = (a.max(axis=(0, 2)) - a.min(axis=(0, 2))) <= _BORDER_RANGE

    def run(flags: np.ndarray, limit: int) -> int:
        n = 0
        while n < limit and flags[n]:
            n += 1
        return n
    top, bottom = run(flat_rows, int(h * _MAX_BORDER)), run(flat_rows[::-1], int(h * _MAX_BORDER))
    left, right = run(flat_cols, int(w * _MAX_BORDER)), run(flat_cols[::-1], int(w * _MAX_BORDER))
    return rgb[top:h - bottom, left:w - right]


def _distinct(hashes: list[str], exclude: set[str]) -> list[str]:
    out = []
    for h in hashes:
        if h not in exclude and h not in out:
            out.append(h)
    return out


def _grey(rgb: np.ndarray) -> np.ndarray:
    return rgb if rgb.ndim == 2 else np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).convert("L"))


def _views(grey: np.ndarray, trimmed: np.ndarray, mirror: "_CropHasher", trimmed_hashers) -> list[str]:
    views = [mirror.whole()] + [mirror.centre(f) for f in CROP_FRACTIONS]
    if trimmed.shape != grey.shape:
        views += [h.whole() for h in trimmed_hashers]
    return views


def view_phashes(rgb: np.ndarray, known: list[str]) -> list[str]:
    """Mirror image, borders trimmed, and the mirror of each (hashes already in `known` left out)."""
    grey = _grey(rgb)
    trimmed = trim_borders(grey)
    hashers = (_CropHasher(trimmed), _CropHasher(trimmed[:, ::-1]))
    return _distinct(_views(grey, trimmed, _CropHasher(grey[:, ::-1]), hashers), set(known))


def _regions(hashers) -> list[str]:
    out = []
    for hasher in hashers:
        h, w = hasher.grey.shape[:2]
        out.append(hasher(0, 0, max(1, round(h * TOP_BAND)), w))
        for scale, anchors in REGIONS:
            ch, cw = max(1, round(h * scale)), max(1, round(w * scale))
            for ax, ay in anchors:
                out.append(hasher(round((h - ch) * ay), round((w - cw) * ax), ch, cw))
    return _distinct(out, set())


def region_phashes(rgb: np.ndarray) -> list[str]:
    """Top band, and the crops in REGIONS, of the border-trimmed picture and of its mirror (30 hashes)."""
    trimmed = trim_borders(_grey(rgb))
    return _regions((_CropHasher(trimmed), _CropHasher(trimmed[:, ::-1])))


def picture_hashes(rgb: np.ndarray) -> dict[str, object]:
    """Every perceptual hash the manifest row carries, by ManifestRow field; computed on the grey picture, converted
    once (the same values, see `phashes`), every crop of one view sharing its horizontal resampling (_CropHasher)."""
    grey = _grey(rgb)
    trimmed = trim_borders(grey)
    whole, mirror = _CropHasher(grey), _CropHasher(grey[:, ::-1])
    # the trimmed picture is the whole one when there are no borders: then its hashers are too
    trimmed_hashers = ((whole, mirror) if trimmed.shape == grey.shape
                       else (_CropHasher(trimmed), _CropHasher(trimmed[:, ::-1])))
    full, crops = whole.whole(), [whole.centre(f) for f in CROP_FRACTIONS]
    return {Col.PHASH: full, Col.PHASH_CROPS: crops,
            Col.PHASH_VIEWS: _distinct(_views(grey, trimmed, mirror, trimmed_hashers), {full, *crops}),
            Col.PHASH_REGIONS: _regions(trimmed_hashers)}
