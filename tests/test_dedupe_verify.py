"""Edit-robust near duplicates: view and region hashes, geometric verification, the Beam candidate transform."""
import io

import numpy as np
import pytest
from PIL import Image

from benchmarks.near_dup_testset import EDITS, _source
from pipelines.dedupe.candidates import candidate_pairs, strongly_linked, verified_pairs
from pipelines.dedupe.verify import features, same_picture
from pipelines.media.perceptual_hash import picture_hashes, trim_borders
from pipelines.media.previews import thumbnail_jpeg

EDIT_NAMES = ("flip", "letterbox", "caption_band", "crop_side_25", "rotate_5", "flip_crop_15")


def _thumb(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(thumbnail_jpeg(rgb, 256))).convert("RGB"))


def _analysed(name: str, im: Image.Image) -> tuple[dict, np.ndarray]:
    rgb = np.asarray(im.convert("RGB"))
    if max(rgb.shape) > 512:
        s = 512 / max(rgb.shape)
        rgb = np.asarray(im.convert("RGB").resize((round(im.width * s), round(im.height * s)), Image.BILINEAR))
    return {"item_id": name, "media_type": "image", **picture_hashes(rgb)}, _thumb(rgb)


@pytest.fixture(scope="module")
def corpus():
    """Copies of one photo with hard edits, plus look-alikes: tiles of one sky photo and frames of other shots."""
    chelsea = _source("sklearn:china")
    items = [("original", chelsea)] + [(e, EDITS[e](chelsea)) for e in EDIT_NAMES]
    hubble = _source("skimage:hubble_deep_field")
    items += [(f"tile{i}", hubble.crop((x, 0, x + 333, 436))) for i, x in enumerate((0, 333, 666))]
    items += [(f"bikes{f}", _source(f"bikes:{f}")) for f in (34, 141, 191)]
    return [_analysed(n, im) for n, im in items]


def test_trim_borders_removes_letterbox_bars_only():
    rgb = np.asarray(_source("skimage:astronaut"))
    boxed = np.zeros((rgb.shape[0] + 100, rgb.shape[1], 3), np.uint8)
    boxed[50:-50] = rgb
    assert trim_borders(boxed).shape == rgb.shape
    assert trim_borders(rgb).shape == rgb.shape


def test_views_catch_flips_and_borders_without_verification(corpus):
    by_id = {r["item_id"]: r for r, _ in corpus}
    assert strongly_linked(by_id["original"], by_id["flip"], 6)
    assert strongly_linked(by_id["original"], by_id["letterbox"], 6)
    negatives = [k for k in by_id if k.startswith(("tile", "bikes"))]
    for i, a in enumerate(negatives):
        for b in negatives[i + 1:]:
            assert not strongly_linked(by_id[a], by_id[b], 6), (a, b)


def test_verification_accepts_copies_and_rejects_look_alikes(corpus):
    feats = {r["item_id"]: features(t) for r, t in corpus}
    for edit in EDIT_NAMES:
        assert same_picture(feats["original"], feats[edit]), edit
    look_alikes = [k for k in feats if k.startswith(("tile", "bikes"))]
    for i, a in enumerate(look_alikes):
        for b in look_alikes[i + 1:]:
            assert not same_picture(feats[a], feats[b]), (a, b)
        assert not same_picture(feats["original"], feats[a])


def test_pictures_without_corners_are_aligned_densely():
    """A colour wheel (no corners for ORB) and its copies verify; smooth look-alikes (blurred quarters of two grey
    photos, sharing tones and soft shapes) do not, among themselves nor against the wheel."""
    from PIL import ImageFilter
    wheel = _source("file:color.png")
    copies = {e: features(_analysed(e, EDITS[e](wheel))[1]) for e in ("crop_corner_20", "gamma", "flip", "letterbox")}
    original = features(_analysed("original", wheel)[1])
    smooth = {}
    for key in ("skimage:moon", "file:cell.png"):
        photo = _source(key)
        w, h = photo.size
        for i, (x, y) in enumerate([(0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2)]):
            tile = photo.crop((x, y, x + w // 2, y + h // 2)).filter(ImageFilter.GaussianBlur(w / 40))
            smooth[f"{key}{i}"] = features(_analysed(key, tile)[1])
    assert max(len(f.keypoints[0]) for f in [original, *copies.values(), *smooth.values()]) < 100
    for edit, f in copies.items():
        assert same_picture(original, f) and same_picture(f, original), edit
    names = list(smooth)
    for i, a in enumerate(names):
        assert not same_picture(original, smooth[a]) and not same_picture(smooth[a], copies["gamma"]), a
        for b in names[i + 1:]:
            assert not same_picture(smooth[a], smooth[b]), (a, b)


def test_verified_pairs_join_every_copy_and_no_look_alike(corpus):
    records = [r for r, _ in corpus]
    thumbs = {r["item_id"]: t for r, t in corpus}
    pairs = verified_pairs(records, lambda r: thumbs[r["item_id"]], radius=8, strong_distance=6)
    assert all(not a.startswith(("tile", "bikes")) and not b.startswith(("tile", "bikes")) for a, b in pairs)
    # with the strong links, every copy ends up connected to the original
    from framesift.config import load_config
    from pipelines.dedupe.dedupe_local import group_decisions
    decisions = group_decisions(records, load_config("curate").dedupe, semantic_item_pairs=pairs)
    groups = {k: d.group_id for k, d in decisions.items()}
    assert {k for k in groups if groups[k] == groups["original"]} == {"original", *EDIT_NAMES}
    assert candidate_pairs(records, 8)          # regions propose pairs at all


@pytest.mark.parametrize("one_worker", [False, True])
def test_beam_verified_pairs_match_the_local_ones(corpus, tmp_path, one_worker):
    import apache_beam as beam
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that, equal_to

    from pipelines.dedupe.candidates_beam import VerifiedPairs
    records = []
    for r, thumb in corpus:
        (tmp_path / "previews").mkdir(exist_ok=True)
        # lossless, so the Beam path reads exactly the pixels the local one is given
        Image.fromarray(thumb).save(tmp_path / "previews" / f"{r['item_id']}.png")
        records.append({**r, "thumbnail_path": f"previews/{r['item_id']}.png"})
    thumbs = {r["item_id"]: t for r, t in corpus}
    expected = verified_pairs([r for r, _ in corpus], lambda r: thumbs[r["item_id"]], radius=8, strong_distance=6)
    assert expected
    with TestPipeline() as p:
        out = p | beam.Create(records) | VerifiedPairs(8, 6, str(tmp_path), n_hint=1000, one_worker=one_worker)
        assert_that(out, equal_to(expected))


def test_different_digits_on_paper_are_not_the_same_picture():
    """Look-alikes the demo corpus holds: blocky upscaled digits on paper with the same grain and light ramp. ORB
    matches the block corners and the smooth paper correlates; only the ink tiles differ."""
    from framesift.demo_data.digits import render
    from framesift.demo_data.sources import load_digits
    images, _ = load_digits()
    pictures = [np.asarray(render(images[i], 130, cell, np.random.default_rng(i)))
                for i, cell in ((0, 11), (1, 11), (2, 12), (10, 11), (20, 14))]
    feats = [features(_thumb(p)) for p in pictures]
    for i, a in enumerate(feats):
        for b in feats[i + 1:]:
            assert not same_picture(a, b)
    assert same_picture(feats[0], features(_thumb(np.ascontiguousarray(pictures[0][:, ::-1]))))  # a mirror copy is
