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

import functools

import imagehash
import numpy as np
import scipy.fftpack
from PIL import Image
from threadpoolctl import ThreadpoolController

from framesift.schemas.columns import Col
from pipelines.media import lanczos
from pipelines.media.lanczos import lanczos_kernel

CROP_FRACTIONS = (0.9,)
_HASH_SIDE = 32             # imagehash.phash: hash_size 8 x highfreq_factor 4


def phash_hex(rgb: np.ndarray) -> str:
    return str(imagehash.phash(Image.fromarray(np.ascontiguousarray(rgb)), hash_size=8))


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController().select(user_api="blas")     # finds the libraries once (ms), limits in us


def _one_blas_thread():
    """The products run on one BLAS thread: curate's worker processes already use every core, and OpenBLAS's own
    threads waiting on a busy machine made these small products ~20x slower in CPU time."""
    return _blas().limit(limits=1)


def _square_phashes(squares: np.ndarray) -> list[str]:
    """imagehash.phash's steps on a stack of its 32x32 grey pictures (n, 32, 32): the same DCT calls, line by line
    (so the same bits), and its median and comparison, without its per-hash image copies and bit-by-bit hex."""
    dct = scipy.fftpack.dct(scipy.fftpack.dct(squares, axis=1), axis=2)
    low = dct[:, :8, :8].reshape(len(squares), 64)
    bits = np.packbits(low > np.median(low, axis=1, keepdims=True), axis=1)
    return [row.tobytes().hex() for row in bits]


class _CropHasher:
    """phash_hex of many crops of one grey picture (crops of its mirror image too), with the same values, in a few
    matrix products (pipelines/media/lanczos.py reproduces Pillow's Lanczos resize exactly).

    imagehash resizes each crop to 32x32, a horizontal pass (each row on its own, weights set by the crop's width
    alone, rounded to 8 bits) then a vertical one. Crops that share their columns share the horizontal pass, run
    once per column window over the rows they use; each crop then adds its small vertical pass, batched by height.
    A mirror crop is the plain crop's result reversed when the width's weights are symmetric (most widths), or its
    own pass with the weights reversed. Other dtypes than uint8 (other Pillow modes) go through imagehash."""

    def __init__(self, grey: np.ndarray):
        self.grey = grey
        self.crops: list[tuple[int, int, int, int, bool]] = []     # (top, left, height, width, mirrored)

    def add(self, top: int, left: int, height: int, width: int, mirrored: bool) -> int:
        """Index of the hash of grey[top:top+height, left:left+width] (reversed left-right when mirrored)."""
        self.crops.append((top, left, height, width, mirrored))
        return len(self.crops) - 1

    def view(self, box: tuple[int, int, int, int] | None = None, mirrored: bool = False) -> "_View":
        return _View(self, *(box or (0, 0, *self.grey.shape[:2])), mirrored)

    def pixels(self, crop: tuple[int, int, int, int, bool]) -> np.ndarray:
        """The crop as imagehash would be given it."""
        t, l, h, w, m = crop
        return self.grey[t:t + h, l:l + w][:, ::-1 if m else 1]

    def hashes(self) -> list[str]:
        unique = list(dict.fromkeys(self.crops))
        if self.grey.dtype != np.uint8:
            found = {c: phash_hex(self.pixels(c)) for c in unique}
        else:
            with _one_blas_thread():
                found = dict(zip(unique, _square_phashes(self._squares(unique))))
        return [found[c] for c in self.crops]

    def _squares(self, crops) -> np.ndarray:
        """The 32x32 pictures imagehash would hash, (len(crops), 32, 32)."""
        # a mirror crop whose width has symmetric weights is its plain crop reversed: only the plain one is resized
        plain = {(t, l, h, w, m and not lanczos_kernel(w, _HASH_SIDE).symmetric) for t, l, h, w, m in crops}
        squares = self._resized({c for c in plain if not lanczos.tall(c[2], c[3], _HASH_SIDE)})
        out = np.empty((len(crops), _HASH_SIDE, _HASH_SIDE))
        for i, (t, l, h, w, m) in enumerate(crops):
            across = lanczos_kernel(w, _HASH_SIDE)
            if lanczos.tall(h, w, _HASH_SIDE):                     # Pillow's vertical-first order, crop by crop
                down = lanczos_kernel(h, _HASH_SIDE)(self.grey[t:t + h, l:l + w])
                out[i] = (across.reversed if m else across)(down.T).T
            elif m and across.symmetric:
                out[i] = squares[t, l, h, w, False][:, ::-1]
            else:
                out[i] = squares[t, l, h, w, m]
        return out

    def _resized(self, crops: set) -> dict:
        """Horizontal pass per column window over the rows its crops use, then the vertical passes per height."""
        rows: dict[tuple, list[int]] = {}
        for t, l, h, w, m in crops:
            span = rows.setdefault((l, w, m), [t, t + h])
            span[0], span[1] = min(span[0], t), max(span[1], t + h)
        # the passes run on transposed pixels, (width, height): each product then reads contiguous lines
        strips, columns = {}, np.ascontiguousarray(self.grey.T, dtype=np.float64)
        for (l, w, m), (r0, r1) in rows.items():
            across = lanczos_kernel(w, _HASH_SIDE)
            strips[l, w, m] = (across.reversed if m else across)(columns[l:l + w, r0:r1])      # (32, r1 - r0)
        squares = {}
        for h in {c[2] for c in crops}:
            same = [c for c in crops if c[2] == h]
            lines = np.concatenate([strips[l, w, m][:, t - rows[l, w, m][0]:][:, :h] for t, l, _, w, m in same])
            down = lanczos_kernel(h, _HASH_SIDE)(lines.T)          # (32, 32 x crops)
            squares.update(zip(same, down.reshape(_HASH_SIDE, len(same), _HASH_SIDE).transpose(1, 0, 2)))
        return squares


class _View:
    """A rectangle of the hasher's picture, or its mirror image when `mirrored`; crops are in its own coordinates."""

    def __init__(self, hasher: _CropHasher, top: int, left: int, height: int, width: int, mirrored: bool):
        self.hasher, self.top, self.left, self.mirrored = hasher, top, left, mirrored
        self.shape = (height, width)

    def __call__(self, top: int, left: int, height: int, width: int) -> int:
        if self.mirrored:
            left = self.shape[1] - left - width
        return self.hasher.add(self.top + top, self.left + left, height, width, self.mirrored)

    def whole(self) -> int:
        return self(0, 0, *self.shape)

    def centre(self, fraction: float) -> int:
        h, w = self.shape
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


def _border_box(rgb: np.ndarray) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the picture without uniform bars along its edges (each side at most a third)."""
    h, w = rgb.shape[:2]
    if h < 8 or w < 8:
        return 0, 0, h, w
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
    return top, left, h - bottom - top, w - right - left


def trim_borders(rgb: np.ndarray) -> np.ndarray:
    """The picture without uniform bars along its edges (each side at most a third)."""
    top, left, h, w = _border_box(rgb)
    return rgb[top:top + h, left:left + w]


def _distinct(hashes: list[str], exclude: set[str]) -> list[str]:
    out = []
    for h in hashes:
        if h not in exclude and h not in out:
            out.append(h)
    return out


def _grey(rgb: np.ndarray) -> np.ndarray:
    return rgb if rgb.ndim == 2 else np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).convert("L"))


def _trimmed_views(hasher: _CropHasher) -> tuple[_View, _View] | None:
    """The border-trimmed picture and its mirror; None when there are no borders (then they are whole and mirror)."""
    box = _border_box(hasher.grey)
    if box[2:] == hasher.grey.shape[:2]:
        return None
    return hasher.view(box), hasher.view(box, mirrored=True)


def _views(mirror: _View, trimmed) -> list[int]:
    views = [mirror.whole()] + [mirror.centre(f) for f in CROP_FRACTIONS]
    return views + [v.whole() for v in trimmed or ()]


def _regions(views) -> list[int]:
    out = []
    for view in views:
        h, w = view.shape
        out.append(view(0, 0, max(1, round(h * TOP_BAND)), w))
        for scale, anchors in REGIONS:
            ch, cw = max(1, round(h * scale)), max(1, round(w * scale))
            for ax, ay in anchors:
                out.append(view(round((h - ch) * ay), round((w - cw) * ax), ch, cw))
    return out


def view_phashes(rgb: np.ndarray, known: list[str]) -> list[str]:
    """Mirror image, borders trimmed, and the mirror of each (hashes already in `known` left out)."""
    hasher = _CropHasher(_grey(rgb))
    _views(hasher.view(mirrored=True), _trimmed_views(hasher))
    return _distinct(hasher.hashes(), set(known))


def region_phashes(rgb: np.ndarray) -> list[str]:
    """Top band, and the crops in REGIONS, of the border-trimmed picture and of its mirror (30 hashes)."""
    hasher = _CropHasher(_grey(rgb))
    _regions(_trimmed_views(hasher) or (hasher.view(), hasher.view(mirrored=True)))
    return _distinct(hasher.hashes(), set())


def _picture_crops(rgb: np.ndarray):
    """The hasher with every crop the manifest row hashes, and their indices by field."""
    hasher = _CropHasher(_grey(rgb))
    whole, mirror = hasher.view(), hasher.view(mirrored=True)
    trimmed = _trimmed_views(hasher)
    full, crops = whole.whole(), [whole.centre(f) for f in CROP_FRACTIONS]
    return hasher, full, crops, _views(mirror, trimmed), _regions(trimmed or (whole, mirror))


def picture_crops(rgb: np.ndarray) -> list[np.ndarray]:
    """The grey pixels of each crop picture_hashes hashes (benchmarks/phash_cost.py runs imagehash on them)."""
    hasher = _picture_crops(rgb)[0]
    return [hasher.pixels(c) for c in hasher.crops]


def picture_hashes(rgb: np.ndarray) -> dict[str, object]:
    """Every perceptual hash the manifest row carries, by ManifestRow field; computed on the grey picture, converted
    once (the same values, see `phashes`), all crops of all views resized together (_CropHasher)."""
    hasher, full, crops, views, regions = _picture_crops(rgb)
    found = hasher.hashes()
    pick = lambda indices: [found[i] for i in indices]
    return {Col.PHASH: found[full], Col.PHASH_CROPS: pick(crops),
            Col.PHASH_VIEWS: _distinct(pick(views), {found[full], *pick(crops)}),
            Col.PHASH_REGIONS: _distinct(pick(regions), set())}
