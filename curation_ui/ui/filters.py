"""The queue's filter sidebar: pipeline state, media type, review state, reasons, duplicate group, score ranges,
sort. Returns a QueueQuery plus the review states; any change goes back to the first page.

A link can preset them once per session, e.g. ?keep=rejected&media=clip&state=undecided&state=flag
&reason=sharpness:too_blurry&group=*&range=sharpness:0:0.01&sort=sharpness&desc=1
"""
from __future__ import annotations

import streamlit as st

from curation_ui.actions import REVIEW_STATES, UNDECIDED
from curation_ui.manifest_query import ManifestQuery, QueueQuery

_KEEP = {"all": None, "kept": True, "rejected": False}
_NO_SORT = "(manifest order)"


def _reset_page():
    st.session_state["q_page"] = 0
    st.session_state["cursor"] = 0


def _number(text: str):
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _preset_from_url(query: ManifestQuery) -> None:
    if st.session_state.get("_filters_from_url"):
        return
    st.session_state["_filters_from_url"] = True
    qp, preset = st.query_params, {}
    if qp.get("keep") in _KEEP:         # URL parameters, not manifest columns
        preset["f_keep"] = qp["keep"]
    if qp.get("media") in ("all", "image", "clip"):
        preset["f_media"] = qp["media"]
    if "state" in qp:
        preset["f_state"] = [s for s in qp.get_all("state") if s in REVIEW_STATES]
    if "reason" in qp:
        preset["f_reasons"] = [r for r in qp.get_all("reason") if r in query.reason_counts]
    if "group" in qp:
        preset["f_group"] = qp["group"]
    ranges = [r.split(":") for r in qp.get_all("range")]
    ranges = [(k, lo, hi) for k, lo, hi in (r for r in ranges if len(r) == 3) if k in query.score_keys]
    if ranges:
        preset["f_ranges"] = [k for k, _, _ in ranges]
        for k, lo, hi in ranges:
            preset[f"f_lo_{k}"], preset[f"f_hi_{k}"] = _number(lo), _number(hi)
    if qp.get("sort") in query.score_keys:
        preset["f_sort"] = qp["sort"]
    if qp.get("desc") == "1":
        preset["f_desc"] = True
    for key, value in preset.items():
        st.session_state.setdefault(key, value)


def queue_filters(query: ManifestQuery) -> tuple[QueueQuery, list[str]]:
    _preset_from_url(query)
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
