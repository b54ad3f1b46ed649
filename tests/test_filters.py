"""Each filter on real photos (scikit-image), with the exact reasons it gives."""
import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageFilter

from pipelines.filters import build_filters
from pipelines.filters.base import Sample


@pytest.fixture(scope="module")
def filters():
    from framesift.config import load_config
    return {f.name: f for f in build_filters(load_config("curate").filters)}


def image_sample(rgb):
    return Sample("image", rgb.shape[1], rgb.shape[0], [rgb])


def reasons(flt, sample):
    return [r.describe() for r in flt.evaluate(flt.score(sample))]


ASTRONAUT = skimage.data.astronaut()
COFFEE = skimage.data.coffee()


def blurred(rgb, radius):
    return np.asarray(Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(radius)))


def test_blur_lowers_sharpness_and_is_rejected(filters):
    f = filters["sharpness"]
    sharp = f.score(image_sample(ASTRONAUT))["sharpness"]
    soft = f.score(image_sample(blurred(ASTRONAUT, 2)))["sharpness"]
    very_soft = f.score(image_sample(blurred(ASTRONAUT, 6)))["sharpness"]
    assert sharp > soft > very_soft
    assert reasons(f, image_sample(ASTRONAUT)) == []
    fine = f.score(image_sample(blurred(ASTRONAUT, 6)))["sharpness_fine"]
    assert reasons(f, image_sample(blurred(ASTRONAUT, 6))) == [
        f"sharpness: too_blurry (sharpness {very_soft:.4g} < min 0.06)",
        f"sharpness: too_blurry (sharpness_fine {fine:.4g} < min 0.018)"]


def _decoded(im: Image.Image):
    """As the curate job sees a photo: JPEG, decoded to the 512-px analysis size."""
    import io
    from pipelines.media.image_decode import decode_image
    buf = io.BytesIO()
    im.convert("RGB").save(buf, format="JPEG", quality=90)
    d = decode_image(buf.getvalue(), 512)
    return Sample("image", d.probe["width"], d.probe["height"], [d.rgb], detail=d.detail)


def test_a_few_pixels_of_blur_on_a_large_photo_is_too_blurry(filters):
    """A 4-px blur on a ~1000-px photo is invisible at the coarse 128-px scale; the fine scale sees it."""
    f = filters["sharpness"]
    photo = Image.fromarray(ASTRONAUT).resize((1024, 1024), Image.LANCZOS)
    for source in (Image.fromarray(skimage.data.coffee()).resize((1200, 800), Image.LANCZOS), photo):
        sharp, soft = _decoded(source), _decoded(source.filter(ImageFilter.GaussianBlur(4)))
        assert f.evaluate(f.score(sharp)) == []
        got = f.evaluate(f.score(soft))
        assert [(r.score_key, r.reason) for r in got] == [("sharpness_fine", "too_blurry")]


def test_sharpness_ignores_contrast(filters):
    f = filters["sharpness"]
    gray = skimage.data.camera()
    rgb = np.stack([gray] * 3, -1)
    low_contrast = (rgb.astype(np.float32) * 0.3 + 90).astype(np.uint8)
    a, b = f.score(image_sample(rgb))["sharpness"], f.score(image_sample(low_contrast))["sharpness"]
    assert abs(a - b) / a < 0.15


def test_resolution_reports_both_failures(filters):
    f = filters["resolution"]
    strip = np.asarray(Image.fromarray(COFFEE).resize((640, 64)))
    assert reasons(f, image_sample(strip)) == [
        "resolution: too_small (short_side 64 < min 128)",
        "resolution: extreme_aspect (aspect_ratio 10 > max 3)"]
    assert reasons(f, image_sample(COFFEE)) == []


def test_dark_photo_is_too_dark(filters):
    f = filters["exposure"]
    dark = (ASTRONAUT.astype(np.float32) * 0.05).astype(np.uint8)
    got = [r.reason for r in f.evaluate(f.score(image_sample(dark)))]
    assert got == ["too_dark", "too_dark", "crushed_blacks"]
    assert f.evaluate(f.score(image_sample(ASTRONAUT))) == []


@pytest.mark.parametrize("factor", [0.1, 0.15, 0.2])
def test_darkened_photo_is_too_dark_not_flat(filters, factor):
    """Darkened to a tenth..fifth, a photo with a bright area keeps a mean above min_mean: its highlights say dark,
    and the information filter no longer calls it flat."""
    dark = (COFFEE.astype(np.float32) * factor).astype(np.uint8)
    exposure = {(r.score_key, r.reason) for r in filters["exposure"].evaluate(filters["exposure"].score(image_sample(dark)))}
    assert ("luma_p99", "too_dark") in exposure
    assert filters["information"].evaluate(filters["information"].score(image_sample(dark))) == []


def test_over_exposed_photo_is_too_bright(filters):
    f = filters["exposure"]
    over = np.clip(COFFEE.astype(np.float32) * 3, 0, 255).astype(np.uint8)
    assert ("clipped_fraction", "too_bright") in {(r.score_key, r.reason) for r in f.evaluate(f.score(image_sample(over)))}
    assert f.evaluate(f.score(image_sample(COFFEE))) == []


def test_grayscale_is_read_from_pixels():
    from pipelines.filters.colour import ColourFilter
    f = ColourFilter(ColourFilter.Params(min_chroma=0.06))
    grey_rgb = np.stack([skimage.data.camera()] * 3, -1)            # stored as RGB: the file mode says colour
    import io
    buf = io.BytesIO()
    Image.fromarray(grey_rgb).save(buf, format="JPEG", quality=85)
    grey_jpeg = np.asarray(Image.open(buf).convert("RGB"))
    tinted = (grey_rgb.astype(np.float32) * [1.0, 0.97, 0.94]).astype(np.uint8)     # a faint sepia
    for picture in (grey_rgb, grey_jpeg, tinted):
        assert [r.reason for r in f.evaluate(f.score(image_sample(picture)))] == ["grayscale"]
    for photo in (COFFEE, ASTRONAUT, skimage.data.chelsea()):
        assert f.evaluate(f.score(image_sample(photo))) == []


def test_blown_out_photo_is_too_bright(filters):
    f = filters["exposure"]
    bright = np.clip(ASTRONAUT.astype(np.float32) * 2 + 200, 0, 255).astype(np.uint8)
    assert [r.reason for r in f.evaluate(f.score(image_sample(bright)))] == ["too_bright", "too_bright",
                                                                            "blown_highlights"]


def test_flat_image_has_low_information(filters):
    f = filters["information"]
    rng = np.random.default_rng(0)
    flat = np.clip(np.full((200, 200, 3), 140.0) + rng.normal(0, 1, (200, 200, 3)), 0, 255).astype(np.uint8)
    got = {r.reason for r in f.evaluate(f.score(image_sample(flat)))}
    assert got == {"low_information", "flat"}
    assert f.evaluate(f.score(image_sample(COFFEE))) == []


def _pan(rgb, n, step):
    return [np.ascontiguousarray(rgb[:256, i * step:i * step + 256]) for i in range(n)]


def test_static_clip_is_static_and_pan_is_not(filters):
    f = filters["motion"]
    static = Sample("clip", 256, 256, [ASTRONAUT[:256, :256]] * 20, fps=25, duration_s=0.8)
    pan = Sample("clip", 256, 256, _pan(ASTRONAUT, 20, 4), fps=25, duration_s=0.8)
    assert [r.reason for r in f.evaluate(f.score(static))] == ["static"]
    assert f.evaluate(f.score(pan)) == []


def test_erratic_motion_is_jittery(filters):
    f = filters["motion"]
    rng = np.random.default_rng(1)
    offsets = np.cumsum(rng.choice([0, 0, 0, 40], size=20))      # long still spells broken by big jumps
    frames = [np.ascontiguousarray(ASTRONAUT[:256, o % 250:o % 250 + 256]) for o in offsets]
    smooth = f.score(Sample("clip", 256, 256, _pan(ASTRONAUT, 20, 4)))["motion_jitter"]
    shaky = f.score(Sample("clip", 256, 256, frames))["motion_jitter"]
    assert shaky > f.params.max_jitter > smooth


def test_motion_and_duration_skip_images(filters):
    s = image_sample(COFFEE)
    assert not filters["motion"].applies_to(s) and not filters["duration"].applies_to(s)


def test_duration_bounds(filters):
    f = filters["duration"]
    short = Sample("clip", 256, 256, [ASTRONAUT] * 8, fps=25, duration_s=0.32)
    assert reasons(f, short) == ["duration: too_short (duration_s 0.32 < min 1)"]


def test_missing_threshold_disables_a_check():
    from pipelines.filters.exposure import ExposureFilter
    f = ExposureFilter(ExposureFilter.Params(min_mean=None, max_dark_fraction=None, min_highlight=None))
    dark = (ASTRONAUT.astype(np.float32) * 0.05).astype(np.uint8)
    assert f.evaluate(f.score(image_sample(dark))) == []
