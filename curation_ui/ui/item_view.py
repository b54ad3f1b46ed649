"""The Item page's parts: full-size media (originals only from allowed roots; clips in the frame-accurate player),
the spectral profile chart."""
from __future__ import annotations

import os
from typing import Optional

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from curation_ui.item_info import profile_series
from curation_ui.media import MediaPathError, mime_type
from curation_ui.ui.cards import thumbnail
from curation_ui.ui.context import Review
from curation_ui.ui.served_media import served_file_url, served_url
from framesift.browser_video import browser_playable
from framesift.run_layout import browser_preview_relpath
from framesift.schemas import ManifestRow

_player = components.declare_component(
    "framesift_clip_player", path=os.path.join(os.path.dirname(__file__), "components", "clip_player"))


def full_media(ctx: Review, row: ManifestRow, index_row: dict) -> None:
    if row.media_type == "clip":
        clip_player(ctx, row)
        return
    try:
        st.image(ctx.media.original_path(row.source_uri))
        return
    except (MediaPathError, OSError) as e:
        note = f"showing the preview: {e}"
    except ValueError as e:     # Streamlit cannot scale it for the page (a 5000x1 strip scales to 0 pixels high)
        note = f"showing the preview: the original cannot be displayed ({e})"
    data = thumbnail(ctx.media, index_row)
    if data:
        st.image(data)
    st.text(note)


def clip_source(ctx: Review, row: ManifestRow) -> dict:
    """Where the player gets the clip: the run's browser-safe MP4 of it, else the original when a browser plays
    its codec, else nothing (the player shows the animated preview) — with the reason in words."""
    fps = row.fps or 25.0
    frames = max(1, (row.end_frame or 0) - (row.start_frame or 0))
    out = dict(src=None, start=0.0, end=frames / fps, fps=fps, first_frame=row.start_frame or 0, frames=frames,
               codec=row.codec or "unknown codec", note="", why="")
    rel = browser_preview_relpath(row.preview_path) if row.preview_path else None
    try:
        preview = ctx.media.run_local_file(rel)      # a bucket run's: its cached copy
    except MediaPathError:
        preview = None
    if preview:
        out.update(src=served_file_url(preview, "video/mp4", "clip"),
                   note=f"Browser-safe copy made at curate time (the original is {row.codec or 'a codec'} "
                        f"in {os.path.splitext(row.source_uri)[1] or 'its container'}).")
        return out
    try:
        path = ctx.media.original_path(row.source_uri)
    except MediaPathError as e:
        out["why"] = f"The original is not shown: {e}."
        return out
    if not os.path.isfile(path):
        out["why"] = f"The original {row.source_uri} is not there any more."
    elif not browser_playable(path, row.codec):
        out["why"] = (f"Browsers cannot play {row.codec or 'this codec'} in {os.path.splitext(path)[1] or 'this'} "
                      "files, and this run has no browser-safe copy of the clip (runs curated before framesift "
                      "made them).")
    else:
        out.update(src=served_file_url(path, mime_type(path) or "video/mp4", "clip"),
                   start=row.start_s or 0.0, end=row.end_s if row.end_s is not None else frames / fps)
    return out


def clip_player(ctx: Review, row: ManifestRow) -> None:
    src = clip_source(ctx, row)
    fallback = _fallback_url(ctx, row)
    # the player's arguments, not manifest columns
    label = (f"{src['frames']} frames, {(row.start_s or 0):.3f}–{(row.end_s or 0):.3f} s at {src['fps']:.3g} fps, "
             "looping")
    _player(**src, fallback=fallback, label=label, key="clip_player", default=None)
    if src["why"] or src["note"]:       # the same words as plain text, readable without the player
        st.text(src["why"] or src["note"])


def _fallback_url(ctx: Review, row: ManifestRow) -> Optional[str]:
    for rel, mime in ((row.preview_path, "image/webp"), (row.thumbnail_path, "image/jpeg")):
        try:
            data = ctx.media.run_file(rel)
        except MediaPathError:
            data = None
        if data:
            return served_url(data, mime, "clip_fallback")
    return None


def spectral_chart(ctx: Review, row: ManifestRow, index_row: dict) -> None:
    # only the profile the curate job measured (at full resolution): one definition, never a second spectrum
    # of a downscaled thumbnail, which would hide exactly the upscaling it is there to show
    series = profile_series(row)
    if series is None:
        st.text("no spectral profile recorded for this item")
        return
    st.caption("Spectral profile (radially averaged luma power, log10, as the curate job measured it)")
    st.line_chart(pd.DataFrame(series).set_index("frequency"), height=220)
