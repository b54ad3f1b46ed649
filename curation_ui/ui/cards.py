"""Thumbnail cards, the decision bar and the conflict banner. Every string from the manifest (file names,
captions, reasons) goes through st.text or a dataframe cell: plain text, never Markdown or HTML."""
from __future__ import annotations

import os
from typing import Optional

import streamlit as st

from curation_ui import actions, review_keys
from curation_ui.media import MediaPathError, MediaRoots, gif_from_webp
from curation_ui.review_keys import REASON_STATE, View
from curation_ui.ui.context import Review
from framesift.schemas import ReviewDecision
from framesift.schemas.columns import Col

ICONS = {"approve": "✅", "reject": "⛔", "flag": "🚩", "skip": "⏭"}


def display_name(row: dict) -> str:
    name = os.path.basename(row.get(Col.SOURCE_URI) or "") or row[Col.ITEM_ID]
    if row.get(Col.MEDIA_TYPE) == "clip":
        name += " (clip)"
    return name


def decision_text(dec: Optional[ReviewDecision]) -> str:
    if dec is None:
        return "undecided"
    why = f": {dec.reason}" if dec.reason else ""
    return f"{ICONS.get(dec.decision, '')} {dec.decision}{why} by {dec.reviewer}"


def pipeline_text(row: dict) -> str:
    if row.get(Col.KEEP):
        return "pipeline: kept"
    reasons = [r for r in (row.get("reasons") or "").split("|") if r]
    return "pipeline: rejected " + ", ".join(reasons)


@st.cache_data(show_spinner=False, max_entries=2048)
def _animated(path: str, mtime: float) -> Optional[bytes]:
    with open(path, "rb") as f:
        return gif_from_webp(f.read())


def thumbnail(media: MediaRoots, row: dict) -> Optional[bytes]:
    """Clips: their animated preview (as GIF: st.image re-encodes WebP to a still); images: the thumbnail."""
    try:
        preview = row.get(Col.PREVIEW_PATH)
        if preview:
            path = media.run_local_file(preview)     # a bucket run's: the cached copy
            data = _animated(path, os.path.getmtime(path)) if path else None
            if data:
                return data
        return media.run_file(row.get(Col.THUMBNAIL_PATH))
    except MediaPathError as e:
        st.text(f"refused: {e}")
        return None


def decision_buttons(ctx: Review, view: View, moves: bool, key_prefix: str = "kb", compact: bool = False) -> None:
    """Approve / Reject / Flag / Skip / Undo as buttons: the same path as the keys (review_keys.press), for the
    item under the cursor at the version shown (a stale click becomes a conflict). `compact`: icon and key only."""
    cols = st.columns(5)
    for col, (key, name) in zip(cols, (("a", "approve"), ("r", "reject"), ("f", "flag"), ("s", "skip"),
                                       ("u", "undo"))):
        label = f"{ICONS.get(name, '↩')} {key}" if compact else f"{name.capitalize()} ({key})"
        col.button(label, key=f"{key_prefix}_{name}", disabled=not ctx.reviewer, width="stretch",
                   help=f"{name} (key {key})", on_click=_press, args=(ctx, view, key, moves))
    reasons = ctx.cfg.reject_reasons
    if st.session_state.get(REASON_STATE) not in reasons:
        st.session_state.pop(REASON_STATE, None)
    st.selectbox("Reject reason (r; or press its number)", reasons, key=REASON_STATE,
                 format_func=lambda r: f"{reasons.index(r) + 1} {r}" if reasons.index(r) < 9 else r)


def _press(ctx: Review, view: View, key: str, moves: bool) -> None:
    review_keys.press(ctx.store, st.session_state, ctx.reviewer, ctx.cfg.reject_reasons, view, key, moves=moves,
                      name_of=lambda i: item_name(ctx, i))


def item_name(ctx: Review, item_id: str) -> str:
    rows = ctx.query.find([item_id])
    return display_name(rows[0]) if rows else item_id


def conflict_banner(ctx: Review) -> None:
    conflict = st.session_state.get("conflict")
    if not conflict:
        return
    cur = conflict["current"]
    theirs = f"{cur['reviewer']} set it to {cur['decision']} at {cur['decided_at']}" if cur else "it was cleared"
    st.warning("Conflict: another reviewer changed this item while you were looking at it. Nothing was overwritten.")
    st.text(f"{conflict.get('name') or conflict[Col.ITEM_ID]}: {theirs}; you chose {conflict['decision']}.")
    a, b = st.columns(2)
    a.button("Overwrite with mine", key="conflict_overwrite", on_click=actions.resolve_conflict,
             args=(ctx.store, st.session_state, ctx.reviewer, True))
    b.button("Keep theirs", key="conflict_keep", on_click=actions.resolve_conflict,
             args=(ctx.store, st.session_state, ctx.reviewer, False))


def flash() -> None:
    msg = st.session_state.pop("flash", None)
    if msg:
        kind, text = msg
        with st.container(border=True):
            st.text(("✔ " if kind == "success" else "⚠ ") + text)
