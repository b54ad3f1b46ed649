"""The queue's filter sidebar: pipeline state, media type, review state, reasons, duplicate group, score ranges,
sort. Returns a QueueQuery plus the review states; any change goes back to the first page."""
from __future__ import annotations

import streamlit as st

from curation_ui.actions import REVIEW_STATES, UNDECIDED
from curation_ui.manifest_query import ManifestQuery, QueueQuery

_KEEP = {"all": None, "kept": True, "rejected": False}
_NO_SORT = "(manifest order)"


def _reset_page():
    st.session_state["q_page"] = 0
    st.session_state["cursor"] = 0


def queue_filters(query: ManifestQuery) -> tuple[QueueQuery, list[str]]:
    sb = st.sidebar
    sb.subheader("Filters")
    kw = {"on_change": _reset_page}
    keep = sb.segmented_control("Pipeline decision", list(_KEEP), default="all", key="f_keep", **kw) or "all"
    media = sb.segmented_control("Media", ["all", "image", "clip"], default="all", key="f_media", **kw) or "all"
    states = sb.multiselect("Review state", list(REVIEW_STATES), default=[UNDECIDED], key="f_state", **kw)
    counts = query.reason_counts
    reasons = sb.multiselect("Reject reason (any of)", sorted(counts), key="f_reasons",
                             format_func=lambda c: f"{c} ({counts.get(c, 0)})", **kw)
    group = sb.text_input("Duplicate group", key="f_group", help="a group id, or * for items in any group", **kw)
    ranges = []
    for key in sb.multiselect("Score ranges", query.score_keys, key="f_ranges", **kw):
        lo_col, hi_col = sb.columns(2)
        lo = lo_col.number_input(f"{key} ≥", value=None, format="%.6g", key=f"f_lo_{key}", **kw)
        hi = hi_col.number_input(f"{key} ≤", value=None, format="%.6g", key=f"f_hi_{key}", **kw)
        ranges.append((key, lo, hi))
    sort = sb.selectbox("Sort by score", [_NO_SORT] + query.score_keys, key="f_sort", **kw)
    desc = sb.toggle("Highest first", value=False, key="f_desc", **kw)
    q = QueueQuery(keep=_KEEP[keep], media_type=None if media == "all" else media, reasons=tuple(reasons),
                   score_ranges=tuple(ranges), duplicate_group=group.strip() or None,
                   sort_by=None if sort == _NO_SORT else sort, descending=desc)
    return q, states
