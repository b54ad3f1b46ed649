"""The perceptual hashes computed in batched matrix products (pipelines/media/lanczos.py, perceptual_hash._CropHasher)
give imagehash's values bit for bit: every hash of picture_hashes against imagehash.phash run on each crop on its
own, on real photos, noise, gradients, flat and letterboxed pictures, tiny and extreme shapes, RGB and grey; and the
Lanczos resize itself against Pillow's at random sizes."""
import imagehash
import numpy as np
import pytest
import skimage.data
from PIL import Image

from pipelines.media import lanczos
from pipelines.media import perceptual_hash as ph
from pipelines.media.lanczos import lanczos_kernel, resize_grey

PHOTOS = [skimage.data.coffee(), skimage.data.astronaut(), skimage.data.rocket(), skimage.data.chelsea(),
          skimage.data.camera(), skimage.data.moon(), skimage.data.page(), skimage.data.coins(), skimage.data.text(),
          skimage.data.immunohistochemistry(), skimage.data.brick()]


def imagehash_phash(pixels: np.ndarray) -> str:
    return str(imagehash.phash(Image.fromarray(np.ascontiguousarray(pixels)), hash_size=8))


def hashes_one_crop_at_a_time(rgb):
    """picture_hashes the plain way: every crop cut out and hashed on its own by imagehash."""
    grey = rgb if rgb.ndim == 2 else np.asarray(Image.fromarray(rgb).convert("L"))
    full, crops = imagehash_phash(grey), [imagehash_phash(ph.centre_crop(grey, f)) for f in ph.CROP_FRACTIONS]
    mirror, trimmed = grey[:, ::-1], ph.trim_borders(grey)
    views = [imagehash_phash(mirror)] + [imagehash_phash(ph.centre_crop(mirror, f)) for f in ph.CROP_FRACTIONS]
    if trimmed.shape != grey.shape:
        views += [imagehash_phash(trimmed), imagehash_phash(trimmed[:, ::-1])]
    regions = []
    h, w = trimmed.shape
    for view in (trimmed, trimmed[:, ::-1]):
        regions.append(imagehash_phash(view[:max(1, round(h * ph.TOP_BAND))]))
        for scale, anchors in ph.REGIONS:
            ch, cw = max(1, round(h * scale)), max(1, round(w * scale))
            for ax, ay in anchors:
                top, left = round((h - ch) * ay), round((w - cw) * ax)
                regions.append(imagehash_phash(view[top:top + ch, left:left + cw]))
    return {"phash": full, "phash_crops": crops, "phash_views": ph._distinct(views, {full, *crops}),
            "phash_regions": ph._distinct(regions, set())}, views


def random_picture(rng, h, w):
    kind = rng.integers(5)
    if kind == 0:                                   # a real photo, cut and resized to the size
        photo = PHOTOS[rng.integers(len(PHOTOS))]
        top, left = rng.integers(photo.shape[0] // 3), rng.integers(photo.shape[1] // 3)
        return np.asarray(Image.fromarray(photo[top:, left:]).convert("RGB").resize((w, h), Image.Resampling.BILINEAR))
    if kind == 1:
        return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    if kind == 2:                                   # gradient: many crops hash near their DCT median ties
        ramp = np.add.outer(np.linspace(0, 200, h), np.linspace(0, 55 * rng.random(), w))
        return np.repeat(ramp[..., None], 3, axis=2).astype(np.uint8)
    if kind == 3:                                   # flat with faint noise: values near 0 and 255 clip
        return np.clip(rng.choice([0, 128, 255]) + rng.integers(-3, 4, (h, w, 3)), 0, 255).astype(np.uint8)
    return np.where(rng.random((h, w, 1)) < 0.5, 0, 255).repeat(3, axis=2).astype(np.uint8)


def shaped(rng, rgb):
    """Grey half the time; letterbox or pillarbox bars a third of the time (the trimmed views)."""
    if rng.random() < 0.35 and min(rgb.shape[:2]) >= 8:
        bars = [(0, 0)] * 3
        bars[rng.integers(2)] = tuple(int(v) for v in rng.integers(1, max(2, rgb.shape[0] // 4), 2))
        rgb = np.pad(rgb, bars, constant_values=int(rng.choice([0, 16, 255])))
    return np.asarray(Image.fromarray(rgb).convert("L")) if rng.random() < 0.5 else rgb


FIXED_SIZES = [(1, 1), (1, 40), (40, 1), (3, 50), (50, 3), (31, 33), (33, 31), (32, 32), (32, 300), (300, 32),
               (8, 8), (7, 9), (350, 2), (2, 350), (420, 4), (900, 8), (35, 3400), (384, 512), (512, 342)]


def test_picture_hashes_equal_imagehash_crop_by_crop():
    rng = np.random.default_rng(16)
    sizes = FIXED_SIZES + [tuple(int(v) for v in rng.integers(1, 420, 2)) for _ in range(150)]
    sizes += [(int(rng.integers(2, 40)), int(rng.integers(200, 600))) for _ in range(15)]      # wide strips
    sizes += [(int(rng.integers(200, 600)), int(rng.integers(2, 40))) for _ in range(15)]
    tall_crops = 0
    for h, w in sizes:
        picture = shaped(rng, random_picture(rng, h, w))
        expected, views = hashes_one_crop_at_a_time(picture)
        assert ph.picture_hashes(picture) == expected, picture.shape
        assert ph.region_phashes(picture) == expected["phash_regions"], picture.shape
        assert ph.view_phashes(picture, [expected["phash"]]) == ph._distinct(views, {expected["phash"]})
        tall_crops += lanczos.tall(picture.shape[0], picture.shape[1], 32)
    assert tall_crops >= 3                          # Pillow's vertical-first order was exercised


@pytest.mark.parametrize("photo", PHOTOS[:4], ids=["coffee", "astronaut", "rocket", "chelsea"])
def test_picture_hashes_of_cut_and_padded_photos(photo):
    rgb = photo[:301, :457]                         # odd sizes: crops round
    for variant in (rgb, np.pad(rgb, ((40, 40), (0, 0), (0, 0))),            # letterboxed: trimmed views
                    np.pad(rgb, ((0, 0), (70, 9), (0, 0)), constant_values=255), rgb[:23, :50], rgb[::7, ::5]):
        assert ph.picture_hashes(variant) == hashes_one_crop_at_a_time(variant)[0], variant.shape


def test_mirror_crops_resized_with_reversed_weights_equal_the_reversed_plain_crops(monkeypatch):
    """Every width to 32 has symmetric weights, so mirror crops reuse the plain crop's result; the other branch
    (the mirror crop's own pass, weights reversed) is what runs when one does not."""
    monkeypatch.setattr(lanczos.Kernel, "symmetric", property(lambda self: False))
    rng = np.random.default_rng(3)
    for h, w in [(301, 457), (64, 90), (33, 31), (350, 2)]:
        picture = shaped(rng, random_picture(rng, h, w))
        assert ph.picture_hashes(picture) == hashes_one_crop_at_a_time(picture)[0], picture.shape


def test_picture_hashes_of_other_dtypes_are_imagehash_s():
    grey16 = (np.add.outer(np.arange(60), np.arange(90)) * 300).astype(np.uint16)
    assert ph.picture_hashes(grey16) == hashes_one_crop_at_a_time(grey16)[0]


@pytest.mark.parametrize("seed", range(3))
def test_resize_equals_pillow_at_random_sizes(seed):
    rng = np.random.default_rng(seed)
    for i in range(120):
        if i % 6 == 5:                              # over 100 times taller than wide: Pillow goes vertical first
            w = int(rng.integers(1, 5))
            h, w = int(rng.integers(95 * w, 160 * w + 30)), w
        else:
            h, w = (int(v) for v in rng.integers(1, 600, 2))
        out = (int(rng.integers(1, 300)), int(rng.integers(1, 300))) if i % 2 else (32, 32)
        pixels = np.asarray(Image.fromarray(random_picture(rng, h, w)).convert("L"))
        assert np.array_equal(resize_grey(pixels, *out), np.asarray(Image.fromarray(pixels).resize(out, Image.LANCZOS)))


def test_a_reversed_kernel_resizes_the_reversed_line():
    rng = np.random.default_rng(7)
    for n, out in [(1, 32), (5, 32), (61, 32), (333, 32), (40, 7), (100, 300)]:
        line = rng.integers(0, 256, (3, n), dtype=np.uint8)
        pillow = np.asarray(Image.fromarray(np.ascontiguousarray(line[:, ::-1])).resize((out, 3), Image.LANCZOS))
        assert np.array_equal(lanczos_kernel(n, out).reversed(line.T.astype(float)).T, pillow)


def test_weights_stay_pillow_s_when_numpy_sin_is_slightly_off(monkeypatch):
    """numpy's vectorised sin may differ from the C library's on other CPUs: a coefficient next to a rounding tie
    would then round the other way; such lines are recomputed with math.sin. Checked with a sin up to 3e-11 off
    (real ones differ by ~1e-16): without the recomputation 3 of these sizes change."""
    sizes = [(n, 32) for n in range(1, 700)] + [(n, 77) for n in range(1, 200)]
    exact = {s: lanczos_kernel(*s).weights for s in sizes}
    lanczos_kernel.cache_clear()
    monkeypatch.setattr(lanczos, "_vector_sin", lambda x: np.sin(x) * (1 + 3e-11 * np.sin(1e4 * x)))
    try:
        assert all(np.array_equal(lanczos_kernel(*s).weights, exact[s]) for s in sizes)
    finally:
        lanczos_kernel.cache_clear()
