"""The Item page's parts: full-size media (originals only from allowed roots), the spectral profile chart."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from curation_ui.item_info import profile_series
from curation_ui.media import MediaPathError, mime_type
from curation_ui.spectral import spectral_profile
from curation_ui.ui.cards import thumbnail
from curation_ui.ui.context import Review
from framesift.schemas import ManifestRow


def full_media(ctx: Review, row: ManifestRow, index_row: dict) -> None:
    try:
        path = ctx.media.original_path(row.source_uri)
        kind = mime_type(path) or ""
        if kind.startswith("video/"):
            st.video(path, format=kind, start_time=row.start_s or 0, end_time=row.end_s, loop=True)
        else:
            st.image(path)
        return
    except (MediaPathError, OSError) as e:
        note = f"showing the preview: {e}"
    data = thumbnail(ctx.media, index_row)
    if data:
        st.image(data)
    st.text(note)


def spectral_chart(ctx: Review, row: ManifestRow, index_row: dict) -> None:
    series, source = profile_series(row), "manifest"
    if series is None:
        data = ctx.media.run_file(row.thumbnail_path) if row.thumbnail_path else None
        if data is None:
            st.text("no spectral profile (no thumbnail)")
            return
        series, source = spectral_profile(data), "computed from the thumbnail"
    st.caption(f"Spectral profile (radially averaged luma power, log10; {source})")
    st.line_chart(pd.DataFrame(series).set_index("frequency"), height=220)
