"""The per-item work done once and at the size it needs: the draft size, one decode feeding the hash, the detail crop
and the analysis picture, pHashes from one grey conversion, luma and spectrum shared by the filters, and small runs
kept in one process. Each test checks the cheap path gives what the plain path gives."""
import hashlib
import io

import numpy as np
import pytest
import skimage.data
from PIL import Image

from framesift.config import load_config
from pipelines.curate.decide import score_sample
from pipelines.filters import base, build_filters
from pipelines.filters.base import Sample
from pipelines.media.image_decode import DETAIL_SIDE, decode_image, draft_size
from pipelines.media.perceptual_hash import centre_crop_phashes, phash_hex, phashes

PHOTOS = {"coffee": skimage.data.coffee(), "astronaut": skimage.data.astronaut(), "rocket": skimage.data.rocket()}


def jpeg(rgb, size=None, quality=90):
    im = Image.fromarray(rgb)
    if size:
        im = im.resize(size, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


@pytest.mark.parametrize("size", [(1200, 800), (800, 1200), (1152, 864), (4000, 600)])
def test_draft_size_lets_pillow_scale_non_square_jpegs(size):
    with Image.open(io.BytesIO(jpeg(PHOTOS["coffee"], size))) as im:
        im.draft("RGB", draft_size(*size, 512))
        assert max(im.size) >= 512                        # never below the analysis size
        assert max(im.size) < max(size)                   # but scaled in the DCT
    with Image.open(io.BytesIO(jpeg(PHOTOS["coffee"], size))) as im:
        im.draft("RGB", (512, 512))                       # the request that never scaled a 3:2 photo
        assert im.size == size or size == (4000, 600) or min(size) >= 1024


def test_without_hash_or_detail_a_jpeg_decodes_scaled_to_the_same_picture():
    data = jpeg(PHOTOS["rocket"], (1280, 854))
    full = decode_image(data, 512)
    drafted = decode_image(data, 512, pixel_hash=False, detail=False)
    assert drafted.rgb.shape == full.rgb.shape == (342, 512, 3)
    assert drafted.probe["width"] == 1280 and drafted.probe["pixel_sha256"] is None and drafted.detail is None
    assert np.abs(drafted.rgb.astype(int) - full.rgb.astype(int)).mean() < 3      # grey levels


def test_one_full_decode_gives_the_plain_hash_crop_and_size():
    data = jpeg(PHOTOS["rocket"], (1280, 854))
    d = decode_image(data, 512)
    with Image.open(io.BytesIO(data)) as im:
        ref = im.convert("RGB")
    digest = hashlib.sha256(b"1280x854:RGB:" + ref.tobytes()).hexdigest()
    left, top = (1280 - DETAIL_SIDE) // 2, (854 - DETAIL_SIDE) // 2
    assert d.probe["pixel_sha256"] == digest
    assert np.array_equal(d.detail, np.asarray(ref)[top:top + DETAIL_SIDE, left:left + DETAIL_SIDE])
    # the box-then-bilinear resize stays within a grey level or two of a plain bilinear pass
    plain = np.asarray(ref.resize((512, 342), Image.Resampling.BILINEAR)).astype(int)
    assert np.abs(d.rgb.astype(int) - plain).mean() < 2


@pytest.mark.parametrize("name", sorted(PHOTOS))
def test_phashes_equal_the_separate_hashes(name):
    rgb = PHOTOS[name][:301, :457]                        # odd sizes: crops round
    assert phashes(rgb) == (phash_hex(rgb), centre_crop_phashes(rgb))


def test_filters_share_each_frames_luma_and_the_spectrum(monkeypatch):
    calls = []
    real = base.luma
    monkeypatch.setattr(base, "luma", lambda rgb: calls.append(rgb.shape) or real(rgb))
    filters = build_filters(load_config("curate").filters)
    rgb = PHOTOS["astronaut"]
    shared = score_sample(filters, Sample("image", 512, 512, [rgb]))
    assert len([c for c in calls if c == rgb.shape]) == 1             # sharpness, exposure, information: one luma
    frames = [np.roll(rgb, 3 * i, axis=1)[:256, :256] for i in range(10)]
    calls.clear()
    score_sample(filters, Sample("clip", 256, 256, frames, fps=25.0, duration_s=0.4))
    assert len([c for c in calls if len(c) == 3]) == len(frames)       # luma of an RGB frame, once per frame
    # and the scores are the ones each filter gives on its own
    for f in filters:
        alone = Sample("image", 512, 512, [rgb])
        if f.applies_to(alone):
            own = f.score(alone)
            assert own == {k: shared[k] for k in own}


def test_small_runs_stay_in_process_large_ones_use_every_core():
    from apache_beam.options.pipeline_options import DirectOptions
    from pipelines.curate.job import SMALL_RUN_WORK, pipeline_options, run_work, work_in_helpers
    cfg = load_config("curate")
    mode = lambda args, work, helpers=False: pipeline_options(args, work, helpers).view_as(DirectOptions) \
        .direct_running_mode
    assert run_work(["a.jpg", "b.png", "c.mp4"], cfg) == 2 + 25
    assert mode([], 20) == "in_memory"
    assert mode([], SMALL_RUN_WORK + 1) == "multi_processing" and mode([], None) == "multi_processing"
    assert mode(["--direct_running_mode=multi_processing"], 20) == "multi_processing"     # the user's choice wins
    # the per-item work in decoder helpers: the workers are threads that wait on them, so no worker process starts
    assert mode([], SMALL_RUN_WORK + 1, True) == "multi_threading" and mode([], 20, True) == "multi_threading"
    assert mode(["--direct_running_mode=multi_processing"], SMALL_RUN_WORK + 1, True) == "multi_processing"
    off = load_config("curate", overrides=["scoring.enabled=false"])
    assert work_in_helpers(off, 2000)
    for override in ("analysis.isolate_image_decoding=false", "analysis.isolate_video_decoding=false",
                     "scoring.enabled=true"):
        assert not work_in_helpers(load_config("curate", overrides=["scoring.enabled=false", override]), 2000)
    assert not work_in_helpers(off, off.dedupe.one_worker_max_items + 1) and not work_in_helpers(off, None)
