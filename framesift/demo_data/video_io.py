"""Decoding the bundled clips and encoding new ones with PyAV, byte-identically on every run.

Determinism needs four things from FFmpeg: single-threaded encoders (multi-threaded x264/x265/VP9 may split work,
and so bits, differently from run to run), the `bitexact` flag on muxer and encoder (so Matroska/WebM do not write
a random segment UID and no library version string lands in the file), no creation_time metadata, and x264 without
macroblock-tree rate control. With mbtree on, the x264 bundled with PyAV 18 (core 165) gave a different stream for
the same frames on 21 of 25 runs in one process once other allocations had churned the heap (it evidently reads
memory it never wrote); with `mbtree=0` (or `bframes=0`) 15 of 15 runs matched for every clip tried. Frame sizes are
kept at multiples of 16 as well, so no encoder has to pad a partial macroblock.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Optional

import av
import numpy as np


@dataclass(frozen=True)
class Codec:
    """An encoder and its (deterministic) options, plus the container it goes in."""
    container: str           # FFmpeg muxer name: mp4, mov, matroska, webm, avi
    ext: str
    name: str                # FFmpeg encoder name
    options: dict = field(default_factory=dict)
    bit_rate: Optional[int] = None

    @property
    def label(self) -> str:
        return f"{self.ext}/{self.name}"


_X264 = {"threads": "1", "preset": "veryfast", "crf": "23", "x264-params": "mbtree=0"}
H264_MP4 = Codec("mp4", "mp4", "libx264", _X264)
H264_MOV = Codec("mov", "mov", "libx264", _X264)
HEVC_MKV = Codec("matroska", "mkv", "libx265",
                 {"preset": "fast", "crf": "26", "x265-params": "pools=none:frame-threads=1:log-level=error"})
VP9_WEBM = Codec("webm", "webm", "libvpx-vp9",
                 {"threads": "1", "row-mt": "0", "tile-columns": "0", "deadline": "good", "cpu-used": "4",
                  "crf": "33", "b": "0"})
MPEG4_AVI = Codec("avi", "avi", "mpeg4", {"threads": "1"}, bit_rate=800_000)


def decode_rgb(path: str, size: Optional[tuple[int, int]] = None, keep: Optional[set[int]] = None):
    """Frames of a file's first video stream as RGB uint8 arrays, optionally scaled to `size` (w, h).

    With `keep`, only those frame indices are converted (the others are still decoded, as they must be).
    Returns {index: array} when `keep` is given, else a list.
    """
    frames: dict[int, np.ndarray] = {}
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "NONE"
        for i, frame in enumerate(container.decode(stream)):
            if keep is not None and i not in keep:
                continue
            if size is not None:
                frame = frame.reformat(width=size[0], height=size[1])
            frames[i] = frame.to_ndarray(format="rgb24")
    return frames if keep is not None else [frames[i] for i in sorted(frames)]


def encode(frames: Iterable[np.ndarray], fps: Fraction, codec: Codec) -> bytes:
    """An in-memory video of RGB frames (all the same even width and height), without audio or metadata."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=codec.container, options={"fflags": "+bitexact"}) as container:
        stream = None
        for i, rgb in enumerate(frames):
            if stream is None:
                h, w = rgb.shape[:2]
                if w % 2 or h % 2:
                    raise ValueError(f"frame size {w}x{h} must be even for yuv420p")
                stream = container.add_stream(codec.name, rate=fps, options=dict(codec.options))
                stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
                stream.codec_context.thread_count = 1
                stream.codec_context.flags |= av.codec.context.Flags.bitexact
                if codec.bit_rate:
                    stream.bit_rate = codec.bit_rate
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        if stream is None:
            raise ValueError("no frames to encode")
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()
