"""Encoding Pillow images to bytes the same way on every run, in every format the corpus mixes.

Every save names its parameters (quality, subsampling, compression, palette method) so that a Pillow default changing
between versions shows up as a code change rather than as a silently different corpus. None of these writers adds a
timestamp: PNG gets no tIME chunk, JPEG no EXIF unless asked, TIFF no DateTime tag.
"""
from __future__ import annotations

import io

from PIL import Image

EXIF_ORIENTATION_TAG = 0x0112
# Extension -> Pillow format name.
FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF", "bmp": "BMP",
           "tif": "TIFF", "tiff": "TIFF"}


def _palette(image: Image.Image) -> Image.Image:
    """GIF needs a palette: gray stays gray, colour gets a 256-colour median-cut palette without dithering."""
    if image.mode == "L":
        return image
    return image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def encode(image: Image.Image, ext: str, quality: int = 90) -> bytes:
    """The bytes of `image` saved as `ext`; `quality` applies to the lossy formats (JPEG, WebP)."""
    fmt = FORMATS[ext]
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    buf = io.BytesIO()
    if fmt == "JPEG":
        image.save(buf, "JPEG", quality=quality, subsampling=2 if quality < 90 else 0, optimize=False,
                   progressive=False)
    elif fmt == "PNG":
        image.save(buf, "PNG", optimize=False, compress_level=6)
    elif fmt == "WEBP":
        image.save(buf, "WEBP", quality=quality, method=4, lossless=False, exact=False)
    elif fmt == "GIF":
        _palette(image).save(buf, "GIF", optimize=False, interlace=False)
    elif fmt == "BMP":
        image.save(buf, "BMP")
    else:  # TIFF: uncompressed, written by Pillow itself; libtiff's LZW writer left one byte differing per run
        image.save(buf, "TIFF", compression="raw")
    return buf.getvalue()


def encode_jpeg_with_orientation(displayed: Image.Image, orientation: int = 6, quality: int = 90) -> bytes:
    """A JPEG whose pixels are stored rotated and whose EXIF Orientation tag says how to turn them back.

    Orientation 6 means "rotate 90 degrees clockwise to display", so the stored pixels are the displayed image
    turned 90 degrees counter-clockwise. Readers that ignore EXIF see a sideways, W/H-swapped picture.
    """
    if orientation != 6:
        raise ValueError("only orientation 6 is planted")
    stored = displayed.convert("RGB").transpose(Image.Transpose.ROTATE_90)   # counter-clockwise
    exif = Image.Exif()
    exif[EXIF_ORIENTATION_TAG] = orientation
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=quality, subsampling=0, optimize=False, progressive=False,
                exif=exif.tobytes())
    return buf.getvalue()
