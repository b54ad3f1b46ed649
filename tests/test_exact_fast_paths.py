"""The cheaper per-item paths give exactly, to the last bit, what the plain code they replaced gave: the streamed pixel
digest, luma on channel planes, the spectrum's cached geometry, percentiles from histograms, and the filters' scores
built on them. Each plain path is written out here as it was, and compared on random sizes, odd modes and real
photos (the manifest must not change by one bit)."""
import hashlib
import io

import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageOps

from framesift.config import load_config
from pipelines.curate.decide import score_sample
from pipelines.filters import Sample, build_filters
from pipelines.media.image_decode import _to_rgb, decode_image, pixel_digest
from pipelines.media.luma import level_histogram, luma, luma_levels
from pipelines.media.percentile import bucketed_percentile, levels_percentile
from pipelines.media.spectrum import image_spectrum, power_spectrum

RNG = np.random.default_rng(16)
PHOTOS = [skimage.data.astronaut(), skimage.data.coffee()[:301, :457], skimage.data.chelsea()]


def plain_luma(rgb):
    rgb = rgb.astype(np.float32)
    return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114) / 255.0


def plain_power_spectrum(gray, bins=32):
    h, w = gray.shape
    y = (gray - gray.mean()) * np.outer(np.hanning(h), np.hanning(w))
    power = np.abs(np.fft.rfft2(y)) ** 2
    weight = np.full(power.shape[1], 2.0)
    weight[0] = 1.0
    if w % 2 == 0:
        weight[-1] = 1.0
    radius = np.sqrt(np.fft.rfftfreq(w)[None, :] ** 2 + np.fft.fftfreq(h)[:, None] ** 2) / 0.5
    inside = (radius > 0) & (radius <= 1.0)
    r, p, wt = radius[inside], power[inside], np.broadcast_to(weight, power.shape)[inside]
    index = np.minimum((r * bins).astype(np.int64), bins - 1)
    sums, counts = np.bincount(index, p * wt, bins), np.bincount(index, wt, bins)
    mean = np.divide(sums, counts, out=np.zeros(bins), where=counts > 0)
    total = (p * wt).sum()
    profile = mean / mean.sum() if mean.sum() > 0 else mean
    return profile.astype(np.float32), float((p * wt)[r > 0.5].sum() / total) if total > 0 else 0.0


def photo_like(h, w):
    """Smooth gradients plus noise: many ties and many distinct values, like a photo."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) % 256], -1)
    return np.clip(base + RNG.integers(-40, 40, (h, w, 3)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("size", [(1, 1), (3, 7), (257, 129), (1152, 864), (16500, 2)])   # last: a row > 64 KB
def test_streamed_digest_is_the_digest_of_tobytes(size):
    im = Image.fromarray(photo_like(size[1], size[0]))
    assert pixel_digest(im) == hashlib.sha256(f"{size[0]}x{size[1]}:RGB:".encode() + im.tobytes()).hexdigest()


def _encode(rgb, mode, fmt, orientation=1):
    im = Image.fromarray(rgb)
    if mode == "I;16":
        im = Image.fromarray((rgb[..., 0].astype(np.uint16) * 257 + 3).astype(np.uint16))
    elif mode == "RGBA":
        im = Image.fromarray(np.dstack([rgb, rgb[..., 1] // 2 + 60]), "RGBA")
    elif mode == "P+transparency":
        im = im.quantize(32)
        im.info["transparency"] = 5
    elif mode != "RGB":
        im = im.convert(mode)
    buf = io.BytesIO()
    kwargs = {}
    if orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kwargs["exif"] = exif
    if mode == "P+transparency":
        kwargs["transparency"] = 5
    im.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize("mode,fmt,orientation", [
    ("RGB", "JPEG", 1), ("RGB", "JPEG", 6), ("RGB", "JPEG", 3), ("L", "JPEG", 8), ("CMYK", "JPEG", 1),
    ("RGB", "PNG", 1), ("RGBA", "PNG", 1), ("RGBA", "PNG", 5), ("P", "PNG", 1), ("P+transparency", "PNG", 1),
    ("LA", "PNG", 1), ("1", "PNG", 1), ("I;16", "PNG", 1), ("CMYK", "TIFF", 1), ("RGB", "WEBP", 1)])
def test_decoded_pixel_digest_is_the_plain_one(mode, fmt, orientation):
    data = _encode(photo_like(301, 533), mode, fmt, orientation)
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        plain = _to_rgb(ImageOps.exif_transpose(im))
        expected = hashlib.sha256(f"{plain.width}x{plain.height}:RGB:".encode() + plain.tobytes()).hexdigest()
    assert decode_image(data).probe["pixel_sha256"] == expected


def test_luma_on_planes_is_the_plain_luma():
    for rgb in PHOTOS + [photo_like(h, w) for h, w in [(1, 1), (2, 9), (383, 512), (512, 257)]]:
        for frame in (rgb, np.ascontiguousarray(rgb[::-1, 1:]), rgb[:, ::2]):    # contiguous or not
            y = luma(frame)
            assert y.dtype == np.float32 and y.flags.c_contiguous and np.array_equal(y, plain_luma(frame))


@pytest.mark.parametrize("shape", [(4, 4), (5, 9), (256, 256), (255, 256), (256, 171), (64, 300)])
def test_spectrum_with_cached_geometry_is_the_plain_spectrum(shape):
    for dtype in (np.float32, np.float64):
        gray = RNG.random((shape[0] + 6, shape[1] + 4)).astype(dtype)[3:-3, 2:-2]      # a strided view too
        for g in (gray, np.ascontiguousarray(gray)):
            profile, hf = plain_power_spectrum(g)
            s = power_spectrum(g)
            assert np.array_equal(s.profile, profile) and s.hf_share == hf


def _arrays(n_max=5000):
    """Integer-valued and float arrays with heavy ties, few values, one value, and a spread."""
    for n in [1, 2, 3, 7, 100, 101, 999, n_max]:
        yield RNG.integers(0, 256, n)
        yield RNG.integers(250, 256, n)
        yield np.full(n, 17)
        yield (RNG.beta(5, 1, n) * 255).astype(int)


@pytest.mark.parametrize("q", [0, 1, 37.5, 50, 99, 99.9, 100])
def test_percentile_from_levels_is_numpys(q):
    for values in _arrays():
        for dtype in (np.uint8, np.int16):
            expected = np.percentile(values.astype(dtype), q)
            got = levels_percentile(np.bincount(values, minlength=256), q)
            assert type(got) is float and got == float(expected), (len(values), q)


@pytest.mark.parametrize("q", [0, 1, 50, 99, 100])
def test_bucketed_percentile_of_luma_is_numpys(q):
    for values in _arrays():
        rgb = np.stack([values, values[::-1], np.roll(values, 3)], -1).astype(np.uint8)[None]
        ys = [plain_luma(rgb), plain_luma(rgb[:, ::-1] // 2)]                  # two frames, like a clip
        levels = [luma_levels(y) for y in ys]
        hist = sum(level_histogram(lv) for lv in levels)
        assert bucketed_percentile(ys, levels, hist, q) == float(np.percentile(np.stack(ys), q))
        assert bucketed_percentile(ys[:1], levels[:1], level_histogram(levels[0]), q) == \
            float(np.percentile(ys[0], q))


def test_levels_and_their_histogram_are_the_plain_ones():
    y = plain_luma(photo_like(300, 401))
    levels = luma_levels(y)
    assert np.array_equal(levels, np.clip(y * 255 + 0.5, 0, 255).astype(np.uint8))
    assert np.array_equal(level_histogram(levels), np.bincount(levels.ravel(), minlength=256))


def plain_scores(sample, p):
    """The scores of exposure, information, colour, sharpness (fine) and spectral, computed as before."""
    from pipelines.filters.sharpness import laplacian_sharpness
    n = len(sample.frames)
    ys = [plain_luma(sample.frames[i]) for i in range(n)]
    y = np.stack([ys[i] for i in range(0, n, max(1, n // 5))])
    k = n // 2
    hist = np.bincount(np.clip(ys[k] * 255 + 0.5, 0, 255).astype(np.uint8).ravel(), minlength=256).astype(float)
    prob = hist[hist > 0] / hist.sum()
    spread = [np.maximum(np.maximum(f[..., 0], f[..., 1]), f[..., 2]).astype(np.int16)
              - np.minimum(np.minimum(f[..., 0], f[..., 1]), f[..., 2]) for f in sample.frames[::max(1, n // 3)]]
    fine = [float(laplacian_sharpness(ys[i], 512, 0)) for i in (range(n) if n == 1 else range(0, n, max(1, n // 5)))]
    scores = {"luma_mean": float(y.mean()), "luma_p99": float(np.percentile(y, 99)),
              "clipped_fraction": float((y >= 0.98).mean()), "dark_fraction": float((y < p["dark_level"]).mean()),
              "bright_fraction": float((y > p["bright_level"]).mean()),
              "entropy": float(-(prob * np.log2(prob)).sum()), "luma_std": float(ys[k].std()),
              "luma_contrast": float(ys[k].std()) / max(float(ys[k].mean()), 0.1),
              "chroma": float(np.median([float(np.percentile(s, 99)) / 255.0 for s in spread])),
              "sharpness_fine": float(np.median(fine))}
    if sample.media_type == "image":
        gray = plain_luma(sample.frames[0])
        h, w = gray.shape
        ch, cw = min(h, 256), min(w, 256)
        crop = gray[(h - ch) // 2:(h - ch) // 2 + ch, (w - cw) // 2:(w - cw) // 2 + cw]
        scores["spectral_hf_analysis"] = float(np.log10(max(plain_power_spectrum(crop)[1], 1e-8))) \
            if min(crop.shape) >= 4 else float(np.log10(1e-8))
    return scores


def test_filter_scores_are_the_plain_scores():
    cfg = load_config("curate")
    filters = build_filters(cfg.filters)
    exposure = vars(next(f for f in filters if f.name == "exposure").params)
    pictures = PHOTOS + [photo_like(h, w) for h, w in [(1, 1), (3, 2), (384, 512), (511, 97)]]
    pictures += [np.clip(PHOTOS[0].astype(int) * 3, 0, 255).astype(np.uint8), np.zeros((64, 80, 3), np.uint8)]
    for rgb in pictures:
        sample = Sample("image", rgb.shape[1], rgb.shape[0], [rgb])
        scores = score_sample(filters, sample)
        expected = plain_scores(Sample("image", rgb.shape[1], rgb.shape[0], [rgb]), exposure)
        assert {k: scores[k] for k in expected} == expected
        assert all(type(scores[k]) is float for k in expected)
    frames = [np.roll(PHOTOS[1], 5 * i, axis=1)[:200, :256] for i in range(12)]
    scores = score_sample(filters, Sample("clip", 256, 200, frames, fps=25.0, duration_s=0.48))
    expected = plain_scores(Sample("clip", 256, 200, frames), exposure)
    assert {k: scores[k] for k in expected} == expected


def test_image_spectrum_of_a_luma_is_that_of_its_picture():
    rgb = PHOTOS[0]
    assert image_spectrum(luma(rgb)).hf_share == image_spectrum(rgb).hf_share == \
        plain_power_spectrum(plain_luma(rgb)[128:384, 128:384])[1]
