"""Thumbnail cards, the decision bar and the conflict banner. Every string from the manifest (file names,
captions, reasons) goes through st.text or a dataframe cell: plain text, never Markdown or HTML."""
from __future__ import annotations

import os
from typing import Optional

import streamlit as st

from curation_ui import actions
from curation_ui.media import MediaPathError, MediaRoots, gif_from_webp
from curation_ui.ui.context import Review
from framesift.schemas import ReviewDecision

ICONS = {"approve": "✅", "reject": "⛔", "flag": "🚩", "skip": "⏭"}


def display_name(row: dict) -> str:
    name = os.path.basename(row.get("source_uri") or "") or row["item_id"]
    if row.get("media_type") == "clip":
        name += " (clip)"
    return name


def decision_text(dec: Optional[ReviewDecision]) -> str:
    if dec is None:
        return "undecided"
    why = f": {dec.reason}" if dec.reason else ""
    return f"{ICONS.get(dec.decision, '')} {dec.decision}{why} by {dec.reviewer}"


def pipeline_text(row: dict) -> str:
    if row.get("keep"):
        return "pipeline: kept"
    reasons = [r for r in (row.get("reasons") or "").split("|") if r]
    return "pipeline: rejected " + ", ".join(reasons)


@st.cache_data(show_spinner=False, max_entries=2048)
def _animated(run_dir: str, rel: str, mtime: float) -> Optional[bytes]:
    data = MediaRoots(run_dir).run_file(rel)
    return gif_from_webp(data) if data else None


def thumbnail(media: MediaRoots, row: dict) -> Optional[bytes]:
    """Clips: their animated preview (as GIF: st.image re-encodes WebP to a still); images: the thumbnail."""
    try:
        if row.get("preview_path"):
            path = os.path.join(media.run_dir, row["preview_path"])
            data = _animated(media.run_dir, row["preview_path"], os.path.getmtime(path) if os.path.exists(path) else 0)
            if data:
                return data
        return media.run_file(row.get("thumbnail_path"))
    except MediaPathError as e:
        st.text(f"refused: {e}")
        return None


def card(ctx: Review, row: dict, dec: Optional[ReviewDecision], index: int, is_cursor: bool) -> None:
    """Four elements per card (48 cards a page): the preview, one text block, one button."""
    with st.container(border=True):
        data = thumbnail(ctx.media, row)
        if data:
            st.image(data, width="stretch")
        st.text("\n".join([("▶ " if is_cursor else "") + display_name(row)[:48], decision_text(dec)[:48],
                           pipeline_text(row)[:48]]))
        st.button("Select", key=f"sel_{index}", on_click=_select, args=(index,), width="stretch",
                  type="primary" if is_cursor else "secondary")


def _select(index: int) -> None:
    st.session_state["cursor"] = index


def decision_buttons(ctx: Review, item_id: str, dec: Optional[ReviewDecision], on_done=None,
                     key_prefix: str = "kb") -> None:
    """Approve / Reject / Flag / Skip for one item, at the version shown (a stale click becomes a conflict)."""
    version = dec.version if dec else 0
    reason = st.session_state.get(f"{key_prefix}_reason")
    cols = st.columns(4)
    for col, decision, label in zip(cols, ("approve", "reject", "flag", "skip"),
                                    ("Approve (a)", "Reject (r)", "Flag (f)", "Skip (s)")):
        col.button(label, key=f"{key_prefix}_{decision}", disabled=not ctx.reviewer, width="stretch",
                   on_click=_decide, args=(ctx, item_id, decision, version, on_done, key_prefix))
    st.selectbox("Reject reason", ctx.cfg.reject_reasons, key=f"{key_prefix}_reason",
                 index=ctx.cfg.reject_reasons.index(reason) if reason in ctx.cfg.reject_reasons else 0)


def _decide(ctx: Review, item_id: str, decision: str, version: int, on_done, key_prefix: str) -> None:
    reason = st.session_state.get(f"{key_prefix}_reason")
    if actions.apply_decision(ctx.store, st.session_state, item_id, decision, ctx.reviewer, reason, version) \
            and on_done:
        on_done(decision)


def conflict_banner(ctx: Review) -> None:
    conflict = st.session_state.get("conflict")
    if not conflict:
        return
    cur = conflict["current"]
    theirs = f"{cur['reviewer']} set it to {cur['decision']} at {cur['decided_at']}" if cur else "it was cleared"
    st.warning("Conflict: another reviewer changed this item while you were looking at it. Nothing was overwritten.")
    st.text(f"item {conflict['item_id']}: {theirs}; you chose {conflict['decision']}.")
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
