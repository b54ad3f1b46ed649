"""Probe videos and decode frame ranges with PyAV, scaled down by the decoder's own scaler.

Frames are indexed by presentation time (round((t - t0) * fps)), not by decode order, so a clip's span means the
same frames whether it is decoded from the start or after a seek. Frames come out upright: a display matrix (phones
record portrait video as landscape pixels plus a quarter turn) is applied as players apply it.
"""
from __future__ import annotations

import itertools
import logging
import math
from fractions import Fraction
from typing import BinaryIO, Iterator, Optional

import av
import numpy as np

from framesift.schemas.columns import Col


def open_video(fileobj: BinaryIO) -> "av.container.InputContainer":
    container = av.open(fileobj, mode="r")
    if not container.streams.video:
        container.close()
        raise ValueError("no video stream")
    return container


def probe_video(container) -> dict:
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or float(rate) <= 0:
        raise ValueError("video stream has no usable frame rate")
    duration = None
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / 1_000_000
    return {Col.WIDTH: stream.codec_context.width, Col.HEIGHT: stream.codec_context.height,
            Col.MODE: stream.codec_context.format.name if stream.codec_context.format else None,
            Col.FORMAT: container.format.name.split(",")[0], Col.FPS: float(rate), Col.CODEC: stream.codec_context.name,
            Col.HAS_AUDIO: bool(container.streams.audio), Col.DURATION_S: duration,
            Col.FRAME_COUNT: stream.frames or None}


def scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    # even sizes keep swscale and the encoders happy
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


def quarter_turns(frame) -> int:
    """Counter-clockwise quarter turns the frame's display matrix asks for (PyAV reads it from the side data the
    decoder copies from the container); 0 without one."""
    angle = frame.rotation
    return int(round(angle / 90.0)) % 4 if math.isfinite(angle) else 0    # a singular matrix reads as NaN


def upright_size(width: int, height: int, turns: int) -> tuple[int, int]:
    return (height, width) if turns % 2 else (width, height)


def decode_tolerant(container, stream, skipped: Optional[list] = None) -> Iterator["av.VideoFrame"]:
    """container.decode(stream), except that a packet the decoder rejects (a corrupt stretch, the cut-off last
    packets of an interrupted download) is skipped, as ffmpeg does, instead of ending the video: a 97 % complete
    MP4 was a dead letter for one bad packet. A file no packet of which decodes still yields nothing."""
    count = 0
    try:
        for packet in container.demux(stream):
            try:
                yield from packet.decode()
            except av.error.InvalidDataError:
                count += 1
                if skipped is not None:
                    skipped.append(1)
    finally:
        if count:
            logging.getLogger(__name__).warning("%s: skipped %d undecodable packets", container.name, count)


def iter_frames(container, max_side: int, start_frame: int = 0, end_frame: Optional[int] = None,
                turns_seen: Optional[list] = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (frame_index, RGB uint8) for start_frame <= index < end_frame, every frame at the size and turn the
    first one gives (scaled to max_side, upright). `turns_seen`, when given, receives the quarter turns applied
    (quarter_turns), so a probe can report the upright size."""
    size = None
    for index, frame in decoded_frames(container, start_frame, end_frame):
        if size is None:
            size, turns = scaled_size(frame.width, frame.height, max_side), quarter_turns(frame)
            if turns_seen is not None:
                turns_seen.append(turns)
        yield index, frame_rgb(frame, size, turns)


def frame_rgb(frame: "av.VideoFrame", size: tuple[int, int], turns: int) -> np.ndarray:
    """One decoded frame as RGB uint8 at `size` (swscale), then turned upright. One decoded frame can be converted
    to several sizes: each conversion gives the same pixels as decoding it again for that size."""
    rgb = frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
    return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb


def decoded_frames(container, start_frame: int = 0, end_frame: Optional[int] = None,
                   skipped: Optional[list] = None) -> Iterator[tuple[int, "av.VideoFrame"]]:
    """Yield (frame_index, decoded frame) for start_frame <= index < end_frame in decode order, stopping at the
    first index >= end_frame. `skipped`, when given, receives a 1 per packet the decoder rejected (decode_tolerant).

    A span that starts late is reached by seeking to the keyframe before it. Where the seek cannot be trusted (it
    lands past the span or nowhere, as in some MPEG-TS streams, or frames carry no timestamps to place them), the
    stream is decoded from the start instead: slower, never wrong."""
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    fps = float(stream.average_rate or stream.guessed_rate or stream.base_rate)
    time_base = stream.time_base or Fraction(1, 1_000_000)
    t0 = float(stream.start_time * time_base) if stream.start_time is not None else 0.0

    def index_of(frame, counter):
        return round((frame.time - t0) * fps) if frame.time is not None else counter

    frames = None
    if start_frame > 0:
        container.seek(int((t0 + start_frame / fps) / time_base), stream=stream, backward=True)
        frames = decode_tolerant(container, stream, skipped)
        first = next(frames, None)
        if first is None or first.time is None or index_of(first, 0) > start_frame:
            container.seek(0)
            frames = None
        else:
            frames = itertools.chain([first], frames)
    if frames is None:
        frames = decode_tolerant(container, stream, skipped)
    for counter, frame in enumerate(frames):
        index = index_of(frame, counter)
        if index < start_frame:
            continue
        if end_frame is not None and index >= end_frame:
            break
        yield index, frame
