"""URLs for media shown inside the app's own components (the review grid, the clip player).

Streamlit's media file manager is what st.image / st.video use: it serves bytes from this server under /media/ with
Range support (a video can seek), keyed by content so the browser caches each thumbnail across reruns. Outside a
running server (AppTest) a data: URL stands in. Nothing is ever loaded from another host.
"""
from __future__ import annotations

import base64
import os

from streamlit import runtime


def served_url(data: bytes, mimetype: str, coordinates: str) -> str:
    """A URL for `data` that lives as long as this session shows it (`coordinates`: unique per shown item)."""
    if runtime.exists():
        return runtime.get_instance().media_file_mgr.add(data, mimetype, f"framesift.{coordinates}")
    return f"data:{mimetype};base64,{base64.b64encode(data).decode('ascii')}"


def served_file_url(path: str, mimetype: str, coordinates: str) -> str:
    """The same for a file already checked to lie under an allowed root."""
    if runtime.exists():
        return runtime.get_instance().media_file_mgr.add(path, mimetype, f"framesift.{coordinates}")
    return f"data:{mimetype};base64,{base64.b64encode(_read(path)).decode('ascii')}" \
        if os.path.getsize(path) < 8 << 20 else ""


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()
