"""Which videos a web browser plays, and where a curate run keeps a browser-safe copy of a clip it does not.

The review UI plays a clip from its original when a browser can decode it; for any other codec or container
(mpeg4 in AVI, HEVC in MKV, WMV, MPEG-2, ...) the curate job writes an H.264 MP4 of exactly the clip's frames beside
the clip's animated preview. Both sides take the rule and the path from here.
"""
from __future__ import annotations

import os
from typing import Optional

# container (file extension) -> video codecs (PyAV/FFmpeg names) that Chromium, Firefox and Safari all play in it
BROWSER_VIDEO = {".mp4": {"h264"}, ".m4v": {"h264"}, ".webm": {"vp8", "vp9"}}
BROWSER_PREVIEW_SUFFIX = ".mp4"


def browser_playable(uri: str, codec: Optional[str]) -> bool:
    ext = os.path.splitext(uri.split("?")[0])[1].lower()
    return (codec or "").lower() in BROWSER_VIDEO.get(ext, ())


def browser_preview_relpath(preview_path: str) -> str:
    """The browser-safe MP4 of a clip, beside its animated preview (both relative to the run directory)."""
    return os.path.splitext(preview_path)[0] + BROWSER_PREVIEW_SUFFIX
