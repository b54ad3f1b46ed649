"""`build_demo_corpus`: write the demo media, its ground truth, sidecar metadata and licences to a directory.

The corpus exists so that a curation run has something real to chew on *and* an answer key: labels.csv says, for
every file under media/, what a correct run should conclude about it. File names are assigned by a seeded shuffle
and say nothing about the kind. Two builds give byte-identical trees: nothing depends on time, thread scheduling,
dict/set order or the output path.

Layout of OUT:
    media/images/album_NN/img_NNNN.<ext>   every image file, good or planted-bad
    media/videos/clip_NN.<ext>             every video file, good or planted-bad
    labels.csv    file,media_type,kind,dup_group,source,expected_shots,note (one row per file under media/)
    sidecar.csv   file,caption,label (one row per file that decodes)
    LICENSES      every source and its licence
"""
from __future__ import annotations

import csv
import io
import os
from collections import Counter

import numpy as np

from .images import build_images
from .licenses import render_licenses
from .records import LABEL_COLUMNS, SIDECAR_COLUMNS, Item
from .videos import build_videos

SEED = 20240917
ALBUM_SIZE = 40


def _assign_paths(items: list[Item], rng: np.random.Generator) -> None:
    """Neutral names in a seeded random order: images in album folders, videos side by side."""
    images = [it for it in items if it.media_type == "image"]
    videos = [it for it in items if it.media_type == "video"]
    for n, k in enumerate(rng.permutation(len(images))):
        images[k].path = f"images/album_{n // ALBUM_SIZE + 1:02d}/img_{n + 1:04d}.{images[k].ext}"
    for n, k in enumerate(rng.permutation(len(videos))):
        videos[k].path = f"videos/clip_{n + 1:02d}.{videos[k].ext}"


def _assign_dup_groups(items: list[Item]) -> None:
    """One group per original, numbered in path order; the original and every copy carry it."""
    originals = sorted({id(it.original): it.original for it in items if it.original}.values(), key=lambda i: i.path)
    for n, original in enumerate(originals, start=1):
        original.dup_group = f"dup-{n:03d}"
    for it in items:
        if it.original:
            it.dup_group = it.original.dup_group


def _csv(rows: list[dict], columns: tuple[str, ...]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def build_demo_corpus(out_dir: str) -> dict:
    """Build the corpus under `out_dir`; returns {kind: number of files}.

    Raises FileExistsError if `out_dir` exists and is not an empty directory (a corpus is never merged into or
    written over another one).
    """
    if os.path.exists(out_dir) and (not os.path.isdir(out_dir) or os.listdir(out_dir)):
        raise FileExistsError(f"{out_dir} exists and is not empty; the demo corpus needs a fresh directory")
    rng = np.random.default_rng(SEED)
    items = build_images(rng) + build_videos()
    _assign_paths(items, rng)
    _assign_dup_groups(items)
    items.sort(key=lambda it: it.path)
    if len({it.path for it in items}) != len(items):
        raise AssertionError("two demo files were given the same path")

    for it in items:
        _write(os.path.join(out_dir, "media", *it.path.split("/")), it.data)
    _write(os.path.join(out_dir, "labels.csv"), _csv([it.label_row() for it in items], LABEL_COLUMNS))
    _write(os.path.join(out_dir, "sidecar.csv"),
           _csv([it.sidecar_row() for it in items if not it.broken], SIDECAR_COLUMNS))
    _write(os.path.join(out_dir, "LICENSES"), render_licenses({it.source for it in items}).encode("utf-8"))
    return dict(sorted(Counter(it.kind for it in items).items()))
