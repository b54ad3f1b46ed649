"""One picture of an approved item, decoded the way curation decodes it, for consumers that must not pull in Beam
(the autoencoder trainer gets `read_frame` handed to it by its command): no apache_beam in here.

Local paths and file:// read directly; other URIs (gs://, s3://...) through framesift/run_files.py (pyarrow's file
systems; a GCS emulator when STORAGE_EMULATOR_HOST is set).
"""
from __future__ import annotations

import io
from typing import Optional
from urllib.parse import urlparse

import numpy as np

from framesift import run_files
from pipelines.media.image_decode import decode_image
from pipelines.media.video_decode import iter_frames, open_video


def read_bytes(uri: str) -> bytes:
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file") or len(parsed.scheme) == 1:       # a Windows drive letter reads as a scheme
        with open(parsed.path if parsed.scheme == "file" else uri, "rb") as f:
            return f.read()
    return run_files.read_bytes(uri)


def read_frame(uri: str, media_type: str, frame: Optional[int], max_side: int) -> np.ndarray:
    """(H, W, 3) uint8 with the longer side <= max_side: the image, or frame `frame` (presentation-time index,
    as in the manifest's clip spans) of the video."""
    if media_type == "image":
        return decode_image(read_bytes(uri), max_side=max_side, pixel_hash=False).rgb
    if media_type != "clip":
        raise ValueError(f"unknown media_type {media_type!r}")
    container = open_video(io.BytesIO(read_bytes(uri)))
    try:
        for _, rgb in iter_frames(container, max_side, frame, frame + 1):
            return rgb
    finally:
        container.close()
    raise ValueError(f"frame {frame} of {uri} did not decode")
