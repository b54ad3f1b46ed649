"""The demo images: clean tiles, stills and digits in mixed formats, their duplicates, and the planted defects.

Order matters only for reproducibility: every list here is built in a fixed order and every random choice comes
from the generator passed in, so the same seed gives the same items with the same bytes.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from . import image_defects as defects
from .digits import digit_candidates
from .distinct import DistinctSet
from .duplicates import MIN_ORIGINAL_SIDE, NEAR_TRANSFORMS, near_duplicate
from .image_encoding import encode, encode_jpeg_with_orientation
from .records import Item
from .sources import CLEAN_PHOTOS, DEFECT_PHOTOS
from .tiles import Tile, cut_tiles
from .video_stills import video_stills

# Clean images cycle through these, so every format appears many times.
FORMAT_CYCLE = ("jpg", "png", "webp", "jpg", "png", "tiff", "jpg", "gif", "png", "bmp", "jpeg", "webp", "tif",
                "jpg", "png")
DIGIT_COUNT = 130
DIGIT_CANDIDATES_PER_CLASS = 25
NEAR_ORIGINALS, NEAR_COPIES = 15, 25
EXACT_ORIGINALS, EXACT_COPIES = 8, 10
PER_DEFECT = 6
FLAT_COLOURS = (("mid gray", (128, 128, 128)), ("sky blue", (110, 160, 215)), ("beige", (225, 205, 170)),
                ("dark green", (40, 90, 50)), ("brick red", (170, 60, 45)), ("off-white", (235, 235, 228)))


def _clean_items(tiles: list[Tile]) -> tuple[list[tuple[Item, Image.Image]], Item]:
    """Clean images with the picture each was encoded from (duplicates are made from that picture), and the one
    stored with an EXIF orientation.

    Photo tiles and video stills come first, then digits until DIGIT_COUNT; all pass through one DistinctSet.
    """
    distinct = DistinctSet()
    sources = [(t.image, t.source.key, t.caption, "", t.where) for t in distinct.take(tiles, lambda t: t.image)]
    sources += [(s.image, s.source, s.caption, "", s.where) for s in distinct.take(video_stills(), lambda s: s.image)]
    digits = distinct.take(digit_candidates(DIGIT_CANDIDATES_PER_CLASS, seed=11), lambda d: d.image, DIGIT_COUNT)
    sources += [(d.image, d.source, d.caption, str(d.label), d.where) for d in digits]
    out = []
    for k, (image, source, caption, label, where) in enumerate(sources):
        ext = FORMAT_CYCLE[k % len(FORMAT_CYCLE)]
        quality = 90 if ext in ("jpg", "jpeg") else 85
        out.append((Item("image", "clean", ext, encode(image, ext, quality), source, caption=caption, label=label,
                         note=where), image))
    # One clean JPEG stored sideways with EXIF Orientation 6: the first (portrait) motorcycle tile.
    rotated, image = next((item, im) for item, im in out if item.source == "skimage:motorcycle_left")
    w, h = image.size
    rotated.ext, rotated.data = "jpg", encode_jpeg_with_orientation(image, 6)
    rotated.note += f"; EXIF Orientation=6, stored {h}x{w}, displayed {w}x{h} (WxH) after applying it"
    return out, rotated


def _duplicates(clean: list[tuple[Item, Image.Image]], rng: np.random.Generator) -> list[Item]:
    """Near copies of big clean images and exact copies of others (plus one that has both kinds of copy)."""
    big = [k for k, (_, im) in enumerate(clean) if min(im.size) >= MIN_ORIGINAL_SIDE]
    near_originals = sorted(rng.choice(big, NEAR_ORIGINALS, replace=False).tolist())
    out = []
    for j in range(NEAR_COPIES):
        item, image = clean[near_originals[j % NEAR_ORIGINALS]]
        transform = NEAR_TRANSFORMS[(j + j // NEAR_ORIGINALS) % len(NEAR_TRANSFORMS)]   # never twice per original
        data, ext = near_duplicate(image, transform)
        out.append(Item("image", "near_duplicate", ext, data, item.source, caption=item.caption, label=item.label,
                        note=f"{transform.describe} copy of {{original}}", original=item))
    others = [k for k in range(len(clean)) if k not in set(near_originals)]
    exact_originals = sorted(rng.choice(others, EXACT_ORIGINALS - 1, replace=False).tolist()) + near_originals[:1]
    for j in range(EXACT_COPIES):
        item, _ = clean[exact_originals[j % EXACT_ORIGINALS]]
        out.append(Item("image", "exact_duplicate", item.ext, item.data, item.source, caption=item.caption,
                        label=item.label, note="byte-identical copy of {original}", original=item))
    return out


def _defects(held_out: list[Tile], rng: np.random.Generator) -> list[Item]:
    """Six of each image defect (blurred, tiny, extreme_aspect, dark, flat, truncated) and the broken files."""
    out = []

    def add(kind, ext, data, source, caption="", note=""):
        out.append(Item("image", kind, ext, data, source, caption=caption, note=note))

    blur_radii = (3.0, 3.5, 4.0, 4.5, 5.0, 6.0)
    tiny_sizes = ((24, 32), (32, 24), (40, 30), (16, 16), (48, 36), (28, 20))
    strip_sizes = ((640, 64), (128, 1152), (800, 80), (1280, 128), (64, 640), (1024, 128))
    exts = ("jpg", "png", "webp", "png", "jpg", "bmp")
    for k in range(PER_DEFECT):
        t = held_out[k]
        add("blurred", exts[k], encode(defects.blurred(t.image, blur_radii[k]), exts[k]), t.source.key, t.caption,
            f"{t.where}, Gaussian blur radius {blur_radii[k]} px")
        t = held_out[PER_DEFECT + k]
        add("tiny", exts[k], encode(defects.tiny(t.image, tiny_sizes[k]), exts[k]), t.source.key, t.caption,
            f"{t.where} shrunk to {tiny_sizes[k][0]}x{tiny_sizes[k][1]}")
        t = held_out[2 * PER_DEFECT + k]
        size = strip_sizes[k]
        add("extreme_aspect", exts[k], encode(defects.extreme_aspect(t.image, size), exts[k]), t.source.key,
            t.caption, f"{t.where} resized to a {size[0]}x{size[1]} strip (aspect {max(size) / min(size):.0f})")

        t = held_out[3 * PER_DEFECT + k]
        add("dark", exts[k], encode(defects.dark(t.image), exts[k]), t.source.key, t.caption,
            f"{t.where}, scaled so its brightest pixel is {defects.DARK_LEVEL:.0%} of full scale")
    for k, (name, colour) in enumerate(FLAT_COLOURS):
        ext, size = ("png", "jpg", "webp")[k % 3], ((256, 256), (320, 240), (200, 300))[k % 3]
        add("flat", ext, encode(defects.flat(colour, size, rng), ext), "synthetic:flat", f"a plain {name} image",
            f"uniform RGB{colour} {size[0]}x{size[1]} with noise std 0.6")

    hubble, moon = (cut_tiles(p, require_quality=False) for p in DEFECT_PHOTOS)
    for k, t in enumerate(moon[5:8] + hubble[10:13]):
        ext = "png" if k < 3 else "jpg"
        whole = encode(t.image, ext)
        add("truncated", ext, defects.truncated(whole), t.source.key,
            note=f"{t.where}: first {len(whole) // 2} of {len(whole)} bytes")
    add("zero_byte", "jpg", b"", "synthetic:empty", note="0 bytes")
    add("zero_byte", "png", b"", "synthetic:empty", note="0 bytes")
    add("not_media", "png", defects.not_media_html("image"), "synthetic:text", note="an HTML 404 page named .png")
    add("not_media", "jpg", defects.not_media_text("JPEG"), "synthetic:text", note="plain text named .jpg")
    for w, h, depth in ((16000, 16000, 1), (15000, 15000, 8)):
        mode = "1" if depth == 1 else "L"
        add("decompression_bomb", "png", defects.decompression_bomb_png(w, h, depth), "synthetic:bomb",
            note=f"valid constant PNG declaring {w}x{h} mode {mode} ({w * h / 1e6:.0f} Mpx decoded)")
    return out


def build_images(rng: np.random.Generator) -> list[Item]:
    """All image items; 24 evenly spaced clean-quality tiles are held out as raw material for the defects."""
    tiles = [t for source in CLEAN_PHOTOS for t in cut_tiles(source)]
    stride = len(tiles) // (4 * PER_DEFECT)
    held_idx = set(range(stride - 1, len(tiles), stride)[: 4 * PER_DEFECT])
    held_out = [t for k, t in enumerate(tiles) if k in held_idx]
    clean, rotated = _clean_items([t for k, t in enumerate(tiles) if k not in held_idx])
    originals = [(item, image) for item, image in clean if item is not rotated]   # keep the EXIF one unique
    return [item for item, _ in clean] + _duplicates(originals, rng) + _defects(held_out, rng)
