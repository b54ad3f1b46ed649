"""The demo corpus is an answer key, so these tests check that every label is true of the file it describes.

The corpus is built twice per session (once to inspect, once to prove byte-identical rebuilds); every other check
decodes the files independently with Pillow / PyAV rather than trusting the builder's own helpers.
"""
import csv
import hashlib
import os
import re
from collections import Counter, defaultdict

import av
import numpy as np
import pytest
from PIL import Image, ImageOps

from framesift.demo_data import build_demo_corpus

IMAGE_KINDS = {"clean", "exact_duplicate", "near_duplicate", "blurred", "tiny", "extreme_aspect", "dark", "flat",
               "truncated", "zero_byte", "not_media", "decompression_bomb"}
VIDEO_KINDS = {"clean", "static_video", "hard_cuts", "too_short_clip", "truncated", "zero_byte", "not_media"}
BROKEN = {"truncated", "zero_byte", "not_media", "decompression_bomb"}


def _tree(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root).replace(os.sep, "/")] = hashlib.sha256(f.read()).hexdigest()
    return out


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    first, second = str(root / "a"), str(root / "b")
    summary = build_demo_corpus(first)
    build_demo_corpus(second)
    columns, labels = _read_csv(os.path.join(first, "labels.csv"))
    return {"root": first, "media": os.path.join(first, "media"), "second": second, "summary": summary,
            "columns": columns, "labels": labels}


def _rows(corpus, media_type=None, kind=None):
    return [r for r in corpus["labels"]
            if (media_type is None or r["media_type"] == media_type) and (kind is None or r["kind"] == kind)]


def _open(corpus, row):
    image = Image.open(os.path.join(corpus["media"], row["file"]))
    image.load()
    return image


def _gray(image):
    return np.asarray(image.convert("L"), dtype=np.float64)


def _laplacian_var(g):
    return float((g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4 * g[1:-1, 1:-1]).var())


def _video(corpus, row):
    """(frames as gray float arrays, fps, width, height) decoded with PyAV."""
    with av.open(os.path.join(corpus["media"], row["file"])) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="gray").astype(np.float64) for f in container.decode(stream)]
        return frames, float(stream.average_rate), stream.codec_context.width, stream.codec_context.height


def test_two_builds_are_byte_identical(corpus):
    first, second = _tree(corpus["root"]), _tree(corpus["second"])
    assert first == second


def test_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        build_demo_corpus(str(tmp_path))


def test_labels_cover_every_media_file_exactly_once(corpus):
    assert corpus["columns"] == ["file", "media_type", "kind", "dup_group", "source", "expected_shots", "note"]
    listed = [r["file"] for r in corpus["labels"]]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(_tree(corpus["media"]))
    assert sorted(os.listdir(corpus["root"])) == ["LICENSES", "labels.csv", "media", "sidecar.csv"]


def test_counts_and_summary(corpus):
    assert len(_rows(corpus, "image")) >= 300
    assert len(_rows(corpus, "video")) >= 8
    assert corpus["summary"] == dict(Counter(r["kind"] for r in corpus["labels"]))
    for r in corpus["labels"]:
        prefix = "images/" if r["media_type"] == "image" else "videos/"
        assert r["file"].startswith(prefix), r


def test_every_kind_is_present(corpus):
    assert {r["kind"] for r in _rows(corpus, "image")} == IMAGE_KINDS
    assert {r["kind"] for r in _rows(corpus, "video")} == VIDEO_KINDS


def test_clean_images_are_clean(corpus):
    rows = _rows(corpus, "image", "clean")
    assert len(rows) >= 200
    for r in rows:
        image = ImageOps.exif_transpose(_open(corpus, r))
        w, h = image.size
        g = _gray(image)
        assert min(w, h) >= 128 and max(w, h) / min(w, h) <= 3, r
        assert g.std() >= 12, r
        assert 0.06 * 255 < g.mean() < 0.94 * 255, r
        assert _laplacian_var(g) >= 50, r
    exts = {r["file"].rsplit(".", 1)[1] for r in rows}
    assert {"jpg", "png", "webp", "gif", "bmp", "tiff"} <= exts


def test_one_clean_jpeg_has_exif_orientation_6(corpus):
    rows = [r for r in _rows(corpus, "image", "clean") if "Orientation" in r["note"]]
    assert len(rows) == 1
    image = _open(corpus, rows[0])
    assert image.format == "JPEG" and image.getexif().get(0x0112) == 6
    shown = ImageOps.exif_transpose(image)
    assert f"displayed {shown.width}x{shown.height}" in rows[0]["note"]
    assert shown.size == (image.height, image.width)


def test_duplicate_groups(corpus):
    groups = defaultdict(list)
    for r in corpus["labels"]:
        if r["dup_group"]:
            assert re.fullmatch(r"dup-\d{3}", r["dup_group"])
            groups[r["dup_group"]].append(r)
    copies = _rows(corpus, "image", "exact_duplicate") + _rows(corpus, "image", "near_duplicate")
    assert all(r["dup_group"] for r in copies)
    assert len(_rows(corpus, "image", "exact_duplicate")) >= 8 and len(_rows(corpus, "image", "near_duplicate")) >= 20
    tree = _tree(corpus["media"])
    for members in groups.values():
        originals = [r for r in members if r["kind"] == "clean"]
        assert len(originals) == 1 and len(members) >= 2, members
        original = originals[0]
        for r in members:
            assert r["source"] == original["source"]
            if r["kind"] == "exact_duplicate":
                assert tree[r["file"]] == tree[original["file"]]
            elif r["kind"] == "near_duplicate":
                assert tree[r["file"]] != tree[original["file"]]
                image = _open(corpus, r)
                assert min(image.size) >= 128 and _laplacian_var(_gray(image)) >= 50, r
    transforms = Counter(r["note"].split(" copy of ")[0] for r in _rows(corpus, "image", "near_duplicate"))
    assert len(transforms) >= 4 and min(transforms.values()) >= 3


def test_image_defects_have_their_defect(corpus):
    for r in _rows(corpus, "image", "blurred"):
        assert _laplacian_var(_gray(_open(corpus, r))) < 20, r
    for r in _rows(corpus, "image", "tiny"):
        assert max(_open(corpus, r).size) <= 64, r
    for r in _rows(corpus, "image", "extreme_aspect"):
        w, h = _open(corpus, r).size
        assert max(w, h) / min(w, h) >= 8, r
    for r in _rows(corpus, "image", "dark"):
        assert _gray(_open(corpus, r)).mean() <= 0.06 * 255, r
    for r in _rows(corpus, "image", "flat"):
        assert np.asarray(_open(corpus, r).convert("RGB"), dtype=np.float64).std(axis=(0, 1)).max() < 2, r


def test_broken_images_do_not_decode(corpus):
    for kind in ("truncated", "zero_byte", "not_media"):
        rows = _rows(corpus, "image", kind)
        assert rows
        for r in rows:
            with pytest.raises((OSError, SyntaxError, ValueError)):
                _open(corpus, r)
    assert {r["file"].rsplit(".", 1)[1] for r in _rows(corpus, "image", "truncated")} >= {"jpg", "png"}
    assert os.path.getsize(os.path.join(corpus["media"], _rows(corpus, "image", "zero_byte")[0]["file"])) == 0


def test_decompression_bombs_are_small_files_declaring_huge_images(corpus):
    for r in _rows(corpus, "image", "decompression_bomb"):
        path = os.path.join(corpus["media"], r["file"])
        assert os.path.getsize(path) < 2_000_000
        with pytest.raises(Image.DecompressionBombError):
            Image.open(path)


def test_broken_videos_do_not_decode(corpus):
    for kind in ("truncated", "zero_byte", "not_media"):
        rows = _rows(corpus, "video", kind)
        assert rows
        for r in rows:
            with pytest.raises(av.FFmpegError):
                _video(corpus, r)


def test_videos_match_their_labels(corpus):
    containers = set()
    for r in _rows(corpus, "video"):
        if r["kind"] in BROKEN:
            assert r["expected_shots"] == ""
            continue
        frames, fps, w, h = _video(corpus, r)
        duration = len(frames) / fps
        diffs = np.array([np.abs(a - b).mean() for a, b in zip(frames[1:], frames[:-1])])
        cuts = int((diffs > 30).sum())
        assert cuts + 1 == int(r["expected_shots"]), (r, np.flatnonzero(diffs > 30) + 1)
        if r["kind"] == "clean":
            containers.add(r["file"].rsplit(".", 1)[1])
            assert 2 <= duration <= 10 and min(w, h) >= 128, r
            assert diffs.mean() > 0.5, r
        elif r["kind"] == "static_video":
            assert duration >= 2 and diffs.max() < 0.5, r
        elif r["kind"] == "too_short_clip":
            assert duration < 0.5 and min(w, h) >= 128, r
        elif r["kind"] == "hard_cuts":
            assert int(r["expected_shots"]) >= 3
    assert containers == {"mp4", "webm", "mkv", "avi", "mov"}


def test_sidecar_covers_every_decodable_file(corpus):
    columns, rows = _read_csv(os.path.join(corpus["root"], "sidecar.csv"))
    assert columns == ["file", "caption", "label"]
    expected = {r["file"] for r in corpus["labels"] if r["kind"] not in BROKEN}
    assert [r["file"] for r in rows] == sorted(expected)
    by_file = {r["file"]: r for r in rows}
    for r in corpus["labels"]:
        if r["file"] not in by_file:
            continue
        side = by_file[r["file"]]
        assert side["caption"].startswith(("a ", "an ")), side
        if r["source"].startswith("sklearn:digits#"):
            assert side["label"] in set("0123456789"), side
        else:
            assert side["label"] == "", side


def test_licenses_name_every_source(corpus):
    with open(os.path.join(corpus["root"], "LICENSES"), encoding="utf-8") as f:
        text = f.read()
    for r in corpus["labels"]:
        for part in r["source"].split("+"):
            assert re.search(rf"^{re.escape(part.split('#')[0])}$", text, re.M), part
    assert "CC BY 3.0" in text and "CC BY 4.0" in text and "CC BY 2.0" in text


def test_corpus_is_small(corpus):
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(corpus["root"]) for f in fs)
    assert total < 60 * 1024 * 1024
