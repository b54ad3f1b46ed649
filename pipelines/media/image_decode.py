"""Decode an image once, cheaply, into the probe facts and an analysis-size RGB array.

What the analysis needs decides the decode: the spectral check needs an unscaled centre crop and the pixel hash
needs every full-resolution pixel, so with either the picture is decoded at full size once and everything else is
cut from that one decode (no copies when it is already RGB and upright; the analysis-size picture through integer
box reduction first, then bilinear). Without both, JPEGs are decoded scaled down in the DCT (Pillow's draft mode)
to the smallest size still at least `max_side` on the longer side. Measured on 1 MP photos (benchmarks/
curate_throughput.py): a full JPEG decode costs ~5 ms, a DCT-halved one ~4 ms: most of a decode is entropy
decoding, which scaling does not save. Size checks happen on the header, before any pixel is decoded, so a
decompression bomb costs nothing.
"""
from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from framesift.schemas.columns import Col

_ORIENTATION_TAG = 0x0112
_TRANSPOSED = {5, 6, 7, 8}          # EXIF orientations that swap width and height
DETAIL_SIDE = 256                   # unscaled centre crop kept for frequency analysis (pipelines/media/spectrum.py)


class DecompressionBomb(ValueError):
    """The header declares more pixels than the configured limit."""


@dataclass
class DecodedImage:
    probe: dict                     # ManifestRow probe fields
    rgb: np.ndarray                 # (H, W, 3) uint8, orientation applied, longer side <= max_side
    detail: Optional[np.ndarray] = None     # unscaled centre crop (<= DETAIL_SIDE square) of the decoded pixels


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and float greys: Pillow's convert("RGB") clips at 255, turning a whole picture white
        grey = np.asarray(im, dtype=np.float64)
        top = 65535.0 if im.mode.startswith("I;16") or grey.max() <= 65535 else float(grey.max())
        if im.mode == "F" and grey.max() <= 1.0:
            top = 1.0
        im = Image.fromarray(np.clip(grey * (255.0 / top), 0, 255).round().astype(np.uint8), "L")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        # transparent areas over mid-grey rather than black, so they do not read as "too dark"
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im if im.mode == "RGB" else im.convert("RGB")


def pixel_digest(im: Image.Image) -> str:
    """sha256 of the decoded RGB pixels and their size: the same picture re-saved losslessly (PNG -> BMP, other
    compression level, stripped metadata) gives the same digest.

    The hashed bytes are exactly `im.tobytes()`, but streamed: Pillow's raw encoder packs its internal store (RGBX
    for RGB) block by block and each block goes straight into the hash, instead of tobytes joining every block into
    a full-size copy first. On a 1 MP photo that is 0.7 ms of packing instead of 2.5 ms (blocks stay in cache)."""
    h = hashlib.sha256(f"{im.width}x{im.height}:RGB:".encode())
    im.load()
    if im.width == 0 or im.height == 0:
        return h.hexdigest()
    # what Image.tobytes() does, with the hash in place of its list of blocks
    encoder = Image._getencoder(im.mode, "raw", (im.mode,))
    encoder.setimage(im.im, (0, 0) + im.size)
    block = max(ImageFile.MAXBLOCK, im.width * 4)       # tobytes' size (RawEncode.c needs a whole row)
    while True:
        _, status, data = encoder.encode(block)
        h.update(data)
        if status:
            break
    if status < 0:
        raise RuntimeError(f"encoder error {status} packing the pixels to hash")
    return h.hexdigest()


def draft_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size to ask Pillow's draft for: it scales by the largest power of two that keeps BOTH sides at least
    the requested ones, so asking for (max_side, max_side) would never scale a 3:2 photo down."""
    scale = max_side / max(width, height)
    return max(1, int(width * scale)), max(1, int(height * scale))


def analysis_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def decode_image(data: bytes, max_side: int = 512, max_pixels: int = 100_000_000,
                 pixel_hash: bool = True, detail: bool = True) -> DecodedImage:
    """`pixel_hash` and `detail` (the unscaled centre crop) need full-resolution pixels; without both, JPEGs decode
    scaled down in the DCT."""
    if not data:
        raise ValueError("empty file (0 bytes)")
    Image.MAX_IMAGE_PIXELS = max(max_pixels, 1)  # Pillow's own bomb check then agrees with ours
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)   # we raise our own error below
            im = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        # Pillow's message names an in-memory buffer address; say what matters instead
        raise UnidentifiedImageError(f"not a decodable image (starts with {data[:8]!r})") from None
    except Image.DecompressionBombError as e:
        # Pillow refuses headers over twice its limit before ours runs: one error type, naming the configured limit
        declared = re.search(r"\((\d+) pixels\)", str(e))
        raise DecompressionBomb(f"{declared.group(1) if declared else 'more than ' + str(2 * max_pixels)} pixels "
                                f"exceeds max_image_pixels {max_pixels}") from None
    width, height = im.size
    if width * height > max_pixels:
        raise DecompressionBomb(f"{width}x{height} = {width * height} pixels exceeds max_image_pixels {max_pixels}")
    fmt, mode = im.format, im.mode
    orientation = im.getexif().get(_ORIENTATION_TAG, 1)
    if not (isinstance(orientation, int) and 1 <= orientation <= 8):
        # a broken writer's tag ("six", 2**31, a rational) would fail the int32 manifest column and with it the
        # whole job; exif_transpose ignores such values, so the picture is shown as stored: orientation 1
        orientation = 1
    if fmt == "JPEG" and not (pixel_hash or detail) and max(width, height) > max_side:
        im.draft("RGB", draft_size(width, height, max_side))
    im.load()                       # raises on truncated or corrupt data
    if orientation != 1:
        im = ImageOps.exif_transpose(im)
    im = _to_rgb(im)
    digest = pixel_digest(im) if pixel_hash else None
    crop = None
    if detail:
        cw, ch = min(im.width, DETAIL_SIDE), min(im.height, DETAIL_SIDE)
        left, top = (im.width - cw) // 2, (im.height - ch) // 2
        crop = np.asarray(im.crop((left, top, left + cw, top + ch)))     # before the resize: decoded-size pixels
    if max(im.size) > max_side:
        # integer box reduction first (cheap), then bilinear: a 1 MP photo halves in ~1 ms instead of a 5 ms
        # bilinear pass over every source pixel
        im = im.resize(analysis_size(im.width, im.height, max_side), Image.BILINEAR, reducing_gap=1.0)
    if orientation in _TRANSPOSED:
        width, height = height, width
    probe = {Col.WIDTH: width, Col.HEIGHT: height, Col.MODE: mode, Col.FORMAT: fmt, Col.EXIF_ORIENTATION: orientation,
             Col.BYTES: len(data), Col.SHA256: hashlib.sha256(data).hexdigest(), Col.PIXEL_SHA256: digest}
    return DecodedImage(probe=probe, rgb=np.asarray(im), detail=crop)
