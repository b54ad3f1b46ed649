"""Text overlay on real images: a scanned page is largely text, a photo is not; clips sample frames; a missing
OCR install fails when the filter is built, saying how to install it."""
import importlib.util

import numpy as np
import pytest
import skimage.data

from framesift.config import ConfigError
from pipelines.filters import build_filters
from pipelines.filters.base import Sample

pytest.importorskip("rapidocr_onnxruntime", reason="OCR extra not installed (README: OCR)")


def rgb(a):
    return np.stack([a] * 3, -1) if a.ndim == 2 else a


@pytest.fixture(scope="module")
def text_filter():
    (f,) = build_filters({"text_overlay": {"max": 0.1}})
    return f


def test_page_is_mostly_text_and_astronaut_is_not(text_filter):
    page, astronaut = rgb(skimage.data.page()), skimage.data.astronaut()
    page_fraction = text_filter.score(Sample("image", 384, 191, [page]))["text_fraction"]
    photo_fraction = text_filter.score(Sample("image", 512, 512, [astronaut]))["text_fraction"]
    assert page_fraction > 0.25 and photo_fraction < 0.02, (page_fraction, photo_fraction)
    assert [r.describe() for r in text_filter.evaluate({"text_fraction": page_fraction})] == [
        f"text_overlay: text_overlay (text_fraction {page_fraction:.4g} > max 0.1)"]
    assert text_filter.evaluate({"text_fraction": photo_fraction}) == []


def test_clip_scores_the_mean_over_sampled_frames(text_filter):
    page = rgb(skimage.data.page())[:, :320]
    photo = skimage.data.astronaut()[:191, :320]
    clip = Sample("clip", 320, 191, [page] * 2 + [photo] * 8, fps=10.0, duration_s=1.0)
    # frames 0, 4 (.5 rounds to even), 9 of 10: one page, two photos
    fraction = text_filter.score(clip)["text_fraction"]
    page_alone = text_filter.score(Sample("image", 320, 191, [page]))["text_fraction"]
    assert fraction == pytest.approx(page_alone / 3, rel=1e-6)


def test_missing_ocr_package_fails_at_setup_with_the_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "rapidocr_onnxruntime" else real(name, *a))
    with pytest.raises(ConfigError, match=r"filters.text_overlay needs .* pip install --no-deps rapidocr"):
        build_filters({"text_overlay": {}})
