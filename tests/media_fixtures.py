"""Small real-content media files written by the tests themselves (no downloads)."""
import io

import av
import numpy as np
import skimage.data
from PIL import Image


def pan_frames(rgb: np.ndarray, n: int, step: int = 3, size: int = 128) -> list[np.ndarray]:
    return [np.ascontiguousarray(rgb[:size, i * step:i * step + size]) for i in range(n)]


def write_video(path: str, frames: list[np.ndarray], fps: int = 25, codec: str = "libx264") -> None:
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def two_shot_video(path: str) -> int:
    """A pan over the astronaut, then a hard cut to a pan over the coffee cup; returns the cut frame."""
    frames = pan_frames(skimage.data.astronaut(), 30) + pan_frames(skimage.data.coffee(), 30)
    write_video(path, frames)
    return 30


def jpeg_bytes(rgb: np.ndarray, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=90, **kw)
    return buf.getvalue()


def timed_video(path: str, times: list[float], pictures: list[np.ndarray], fmt=None, offset: float = 0.0,
                time_base=None) -> None:
    """A video whose frames sit at the given presentation times (variable frame rate, start offsets)."""
    from fractions import Fraction
    tb = time_base or Fraction(1, 1000)
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = pictures[0].shape[1], pictures[0].shape[0], "yuv420p"
        stream.codec_context.time_base = tb
        stream.time_base = tb
        for t, rgb in zip(times, pictures):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = int(round((t + offset) / tb)), tb
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
