"""Resize/crop, SDXL-style aspect buckets and clip frame sampling of the encode job."""
import math

import numpy as np
import pytest
import skimage.data

from framesift.config import load_config
from pipelines.encode.pixels import aspect_buckets, clip_frame_indices, resize_and_crop, target_size


def test_buckets_have_equal_area_step_sides_and_bounded_aspect():
    buckets = aspect_buckets(256, 64, 2.0)
    assert (256, 256) in buckets and (192, 320) in buckets and (320, 192) in buckets
    for h, w in buckets:
        assert h % 64 == 0 and w % 64 == 0 and max(h, w) / min(h, w) <= 2.0
        assert 0.7 * 256 * 256 <= h * w <= 256 * 256
    assert buckets == sorted(set(buckets))


@pytest.mark.parametrize("height,width,expected", [(1080, 1920, (192, 320)), (1920, 1080, (320, 192)),
                                                    (500, 500, (256, 256)), (100, 1000, (128, 512))])
def test_target_size_picks_the_closest_aspect(height, width, expected):
    cfg = load_config("encode", overrides=["aspect_buckets=true", "image_size=256", "max_aspect_ratio=4"])
    assert target_size(height, width, cfg) == expected
    square = load_config("encode", overrides=["image_size=64"])
    assert target_size(height, width, square) == (64, 64)


def test_resize_and_crop_covers_then_centres():
    rgb = skimage.data.chelsea()                       # 300 x 451
    pixels, (top, left) = resize_and_crop(rgb, (64, 64))
    assert pixels.shape == (64, 64, 3) and pixels.dtype == np.uint8
    assert top == 0 and left == (round(451 * 64 / 300) - 64) // 2
    wide, crop = resize_and_crop(rgb, (64, 128))       # aspect 2: crops rows instead
    assert wide.shape == (64, 128, 3) and crop[1] == 0 and crop[0] > 0
    # the crop is the middle of the picture: compare with a direct downscale of the centre
    centre = rgb[:, (451 - 300) // 2:(451 - 300) // 2 + 300]
    from PIL import Image
    direct = np.asarray(Image.fromarray(centre).resize((64, 64), Image.BICUBIC)).astype(int)
    assert np.abs(direct - pixels.astype(int)).mean() < 6


def test_clip_frames_sampled_at_fps_as_one_plus_4k():
    cfg = load_config("encode", overrides=["clip_frames=17", "clip_fps=8"])
    idx = clip_frame_indices(100, 400, 24.0, cfg)
    assert idx == [100 + 3 * i for i in range(17)]
    short = clip_frame_indices(0, 20, 24.0, cfg)      # 7 frames fit -> 5 (1 + 4k)
    assert short == [0, 3, 6, 9, 12]
    slow = clip_frame_indices(0, 10, 4.0, cfg)        # source slower than clip_fps: every frame
    assert slow == list(range(9))
    assert clip_frame_indices(5, 6, 30.0, cfg) == [5]
    with pytest.raises(ValueError, match="holds no frame"):
        clip_frame_indices(5, 5, 30.0, cfg)
    assert all((len(clip_frame_indices(0, n, 30.0, cfg)) - 1) % 4 == 0 for n in range(1, 80))
    assert math.isclose(len(clip_frame_indices(0, 1000, 30.0, cfg)), 17)
