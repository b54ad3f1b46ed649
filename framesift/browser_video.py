"""Which videos a web browser plays.

The review UI plays a clip from its original when a browser can decode it; for any other codec or container
(mpeg4 in AVI, HEVC in MKV, WMV, MPEG-2, ...) the curate job writes an H.264 MP4 of exactly the clip's frames beside
the clip's animated preview (framesift.run_layout.browser_preview_relpath). Both sides take the rule from here.
"""
from __future__ import annotations

import os
from typing import Optional

# container (file extension) -> video codecs (PyAV/FFmpeg names) that Chromium, Firefox and Safari all play in it
BROWSER_VIDEO = {".mp4": {"h264"}, ".m4v": {"h264"}, ".webm": {"vp8", "vp9"}}


def browser_playable(uri: str, codec: Optional[str]) -> bool:
    ext = os.path.splitext(uri.split("?")[0])[1].lower()
    return (codec or "").lower() in BROWSER_VIDEO.get(ext, ())
