"""Spectral profile and high-frequency score on real photos: upscaling from a quarter of the size, and blur, lower
the score; the decoder's unscaled centre crop keeps upscaling visible when the analysis frame is downscaled."""
import io

import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageFilter

from pipelines.filters import build_filters
from pipelines.filters.base import Sample
from pipelines.filters.spectral import sample_spectrum
from pipelines.media.image_decode import decode_image
from pipelines.media.spectrum import SPECTRUM_BINS, image_spectrum

PHOTOS = {"astronaut": skimage.data.astronaut(), "coffee": skimage.data.coffee(), "chelsea": skimage.data.chelsea(),
          "rocket": skimage.data.rocket()}


def upscaled_from_quarter(rgb):
    im = Image.fromarray(rgb)
    return np.asarray(im.resize((im.width // 4, im.height // 4), Image.BICUBIC).resize(im.size, Image.BICUBIC))


@pytest.fixture(scope="module")
def spectral():
    (f,) = build_filters({"spectral": {"min_hf": -3.0}})
    return f


def image_sample(rgb, detail=None):
    return Sample("image", rgb.shape[1], rgb.shape[0], [rgb], detail=detail)


@pytest.mark.parametrize("name", sorted(PHOTOS))
def test_upscaled_from_a_quarter_scores_worse_and_is_flagged(spectral, name):
    original, upscaled = PHOTOS[name], upscaled_from_quarter(PHOTOS[name])
    good = spectral.score(image_sample(original))["spectral_hf_analysis"]
    bad = spectral.score(image_sample(upscaled))["spectral_hf_analysis"]
    assert bad < good - 1.5, (good, bad)
    assert spectral.evaluate({"spectral_hf_analysis": good}) == []
    # at its own (analysis) size an image upscaled to it is soft: there is no finer scale to tell them apart
    assert [r.describe() for r in spectral.evaluate({"spectral_hf_analysis": bad})] == [
        f"spectral: soft (spectral_hf_analysis {bad:.4g} < min -3)"]


def _decoded(im):
    buf = io.BytesIO()
    im.convert("RGB").save(buf, format="JPEG", quality=90)
    d = decode_image(buf.getvalue(), max_side=512)
    return Sample("image", d.probe["width"], d.probe["height"], [d.rgb], detail=d.detail)


@pytest.mark.parametrize("name", sorted(PHOTOS))
def test_soft_and_upscaled_are_told_apart(name):
    """Blurred by 0.5 % of its size, a large photo is soft; upscaled 4x, it is upscaled and not soft."""
    (f,) = build_filters({"spectral": {"min_hf": -3.0, "max_upscale_gap": 1.0}})
    photo = Image.fromarray(PHOTOS[name])
    large = photo.resize((photo.width * 2, photo.height * 2), Image.LANCZOS)       # a ~1 MP "original"
    soft = large.filter(ImageFilter.GaussianBlur(0.005 * max(large.size)))
    upscaled = photo.resize((photo.width * 4, photo.height * 4), Image.BICUBIC)
    why = lambda im: [r.reason for r in f.evaluate(f.score(_decoded(im)))]
    assert why(soft) == ["soft"]
    assert why(upscaled) == ["upscaled"]
    assert why(photo) == []


def test_blur_lowers_the_score_monotonically(spectral):
    im = Image.fromarray(PHOTOS["astronaut"])
    scores = [spectral.score(image_sample(np.asarray(im.filter(ImageFilter.GaussianBlur(r)))))["spectral_hf"]
              for r in (0, 1, 2, 4)]
    assert scores == sorted(scores, reverse=True)


def test_profile_is_normalised_and_falls_with_frequency():
    s = image_spectrum(PHOTOS["astronaut"])
    assert s.profile.shape == (SPECTRUM_BINS,) and s.profile.dtype == np.float32
    assert s.profile.sum() == pytest.approx(1.0, abs=1e-5)
    assert s.profile[0] > s.profile[SPECTRUM_BINS // 2] > s.profile[-1] > 0


def test_decoder_detail_crop_reveals_upscaling_hidden_by_the_analysis_downscale():
    # a 512-px photo blown up 4x: downscaled back to 512 for analysis it looks as sharp as the original
    big = np.asarray(Image.fromarray(PHOTOS["astronaut"]).resize((2048, 2048), Image.BICUBIC))
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, format="PNG")
    decoded = decode_image(buf.getvalue(), max_side=512)
    assert decoded.detail.shape == (256, 256, 3) and decoded.rgb.shape == (512, 512, 3)
    at_analysis_size = sample_spectrum(image_sample(decoded.rgb)).hf_log10
    with_detail = sample_spectrum(image_sample(decoded.rgb, decoded.detail)).hf_log10
    assert with_detail < -4 and at_analysis_size > -3, (with_detail, at_analysis_size)


def test_flat_and_tiny_frames_do_not_crash(spectral):
    flat = np.full((64, 64, 3), 128, np.uint8)
    assert spectral.score(image_sample(flat))["spectral_hf"] == -8.0
    assert image_spectrum(np.zeros((2, 2, 3), np.uint8)).hf_share == 0.0
