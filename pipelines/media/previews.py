"""Encode thumbnails (JPEG) and small animated previews (WebP) for the report and the review UI."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image


def _fit(rgb: np.ndarray, side: int) -> Image.Image:
    im = Image.fromarray(rgb)
    if max(im.size) > side:
        scale = side / max(im.size)
        im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.BILINEAR,
                       reducing_gap=1.0)
    return im


def thumbnail_jpeg(rgb: np.ndarray, side: int) -> bytes:
    buf = io.BytesIO()
    _fit(rgb, side).save(buf, format="JPEG", quality=85, optimize=True)
    return buf.getvalue()


def animated_webp(frames: list[np.ndarray], side: int, count: int, fps: float) -> bytes:
    """`count` evenly spaced frames, played back over the clip's real duration."""
    idx = np.linspace(0, len(frames) - 1, num=min(count, len(frames))).round().astype(int)
    images = [_fit(frames[i], side) for i in idx]
    clip_ms = 1000.0 * len(frames) / max(fps, 1e-6)
    buf = io.BytesIO()
    images[0].save(buf, format="WEBP", save_all=True, append_images=images[1:], loop=0, quality=70,
                   duration=max(40, int(clip_ms / len(images))), method=4)
    return buf.getvalue()


def browser_mp4(frames: list[np.ndarray], fps: float) -> bytes:
    """Every frame of a clip as H.264 (yuv420p, even sides) in MP4: what any browser plays, for clips
    whose own codec or container browsers cannot (framesift.browser_video). Frame i is at i / fps."""
    import av
    from fractions import Fraction
    h, w = frames[0].shape[:2]
    w2, h2 = max(2, w - w % 2), max(2, h - h % 2)
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = w2, h2, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        for rgb in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:h2, :w2]), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()
