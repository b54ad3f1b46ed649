"""Planted bad image files: each one fails exactly one check a curation run is expected to make.

Each defect is made from a tile that is *not* in the clean set (a held-out tile, or a tile of a photo that is never
used clean), so a planted defect is never also an unlabelled near-duplicate of a clean image.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np
from PIL import Image, ImageFilter

# What a truncated file keeps of its bytes.
TRUNCATE_FRACTION = 0.5
DARK_LEVEL = 0.06          # brightest pixel after scaling, as a fraction of full scale (kind `dark` promises <= 6%)


def blurred(image: Image.Image, radius: float) -> Image.Image:
    """A strong Gaussian blur: at radius >= 3 px on a 128..256 px tile no edge survives."""
    return image.filter(ImageFilter.GaussianBlur(radius))


def tiny(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    return image.resize(size, Image.Resampling.LANCZOS)


def extreme_aspect(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A stretched or squashed strip, e.g. 640x64 or 1280x128: fails a max-aspect check (3) by a wide margin."""
    return image.resize(size, Image.Resampling.LANCZOS)


def dark(image: Image.Image) -> Image.Image:
    """The content scaled so its brightest pixel is at DARK_LEVEL of full scale: the picture is there, but black."""
    arr = np.asarray(image, dtype=np.float64)
    scaled = arr * (DARK_LEVEL * 255.0 / max(arr.max(), 1.0))
    return Image.fromarray(np.floor(scaled).astype(np.uint8), image.mode)


def flat(colour: tuple[int, int, int], size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """A near-uniform colour with faint sensor-like noise (std well under 2 gray levels)."""
    w, h = size
    noise = rng.normal(0.0, 0.6, (h, w, 1))
    arr = np.clip(np.asarray(colour, dtype=np.float64)[None, None, :] + noise, 0, 255)
    return Image.fromarray(arr.round().astype(np.uint8), "RGB")


def truncated(data: bytes) -> bytes:
    """The first half of a valid file: headers parse, the pixel data runs out."""
    return data[: int(len(data) * TRUNCATE_FRACTION)]


def not_media_html(claimed: str) -> bytes:
    """An HTML error page, the usual thing a failed download saves under a media file's name."""
    return (
        "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
        f"<body><h1>Not Found</h1><p>The requested {claimed} was not found on this server.</p></body></html>\n"
    ).encode("ascii")


def not_media_text(claimed: str) -> bytes:
    return (f"This is not a {claimed} file. It is plain text saved under a media extension, as happens when a\n"
            "script writes a log or a placeholder where a download should have gone.\n").encode("ascii")


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def decompression_bomb_png(width: int, height: int, bit_depth: int) -> bytes:
    """A valid, constant grayscale PNG whose header declares width*height pixels.

    Written by hand, row by row through one zlib stream, because the point is that the *decoded* image would be
    huge (hundreds of MB) while the file is tiny: deflate shrinks constant rows about 1000:1. bit_depth 1 is
    Pillow mode "1", 8 is mode "L".
    """
    row = b"\x00" + b"\x00" * ((width * bit_depth + 7) // 8)      # filter byte "None" + black pixels
    compressor = zlib.compressobj(9)
    chunks = []
    block = row * 256
    for start in range(0, height, 256):
        chunks.append(compressor.compress(block if start + 256 <= height else row * (height - start)))
    chunks.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)   # colour type 0: grayscale
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", b"".join(chunks))
            + _png_chunk(b"IEND", b""))
