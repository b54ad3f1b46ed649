"""The review grid and the key listener: one custom component (static HTML/JS shipped in
ui/components/review_grid/, declared with components.v1 — no npm build at install time).

Mode "grid" (Queue): the page's cards, dense (file name, pipeline decision, failing checks, the sorted-by value,
review decision), the cursor highlighted and kept in view, a status bar that always shows what the last key did.
Mode "keys" (Item page): only the status bar and the keys. Either way the browser reports each key press; the
press is applied in the on_change callback (before the page reruns) by curation_ui/review_keys.py.
"""
from __future__ import annotations

import functools
import os
from typing import Optional

import streamlit as st
import streamlit.components.v1 as components

from curation_ui import review_keys
from curation_ui.manifest_query import Page
from curation_ui.media import MediaPathError
from curation_ui.review_keys import View
from curation_ui.ui.cards import decision_text, display_name, item_name
from curation_ui.ui.context import Review, review_context
from curation_ui.ui.served_media import served_url
from framesift.checks import Threshold
from framesift.schemas import ReviewDecision
from framesift.schemas.columns import Col

_component = components.declare_component(
    "framesift_review_grid", path=os.path.join(os.path.dirname(__file__), "components", "review_grid"))
GOTO = "_goto"          # session key: ("item", item_id) or ("queue", None), set by a key, acted on by the page


def failing_checks(row: dict, thresholds: list[Threshold]) -> list[str]:
    """The index row's reject reasons as '<score> <value> < <threshold>' where a threshold explains them."""
    rules = {(t.filter, t.reason): t for t in thresholds}
    out = []
    for code in (c for c in (row.get("reasons") or "").split("|") if c):
        name, _, reason = code.partition(":")
        t = rules.get((name, reason))
        value = (row.get(Col.SCORES) or {}).get(t.score_key) if t else None
        if t is None or value is None:
            out.append(code)
        else:
            out.append(f"{t.score_key} {value:.3g} {'<' if t.op == 'min' else '>'} {t.value:.3g}")
    return out


def _card_image(ctx: Review, row: dict, i: int) -> tuple[Optional[str], str]:
    """(URL of the clip's animated WebP or the image's thumbnail, why there is none)."""
    rel = row.get(Col.PREVIEW_PATH) or row.get(Col.THUMBNAIL_PATH)
    try:
        data = ctx.media.run_file(rel)
        if data is None and rel != row.get(Col.THUMBNAIL_PATH):
            rel = row.get(Col.THUMBNAIL_PATH)
            data = ctx.media.run_file(rel)
    except MediaPathError as e:
        return None, f"refused: {e}"
    if data is None:
        return None, "no preview in the run"
    mime = "image/webp" if rel.endswith(".webp") else "image/png" if rel.endswith(".png") else "image/jpeg"
    return served_url(data, mime, f"card.{i}"), ""


def card(ctx: Review, row: dict, dec: Optional[ReviewDecision], i: int, sort_by: Optional[str]) -> dict:
    src, missing = _card_image(ctx, row, i)
    sort_value = (row.get(Col.SCORES) or {}).get(sort_by) if sort_by else None
    return {"id": row[Col.ITEM_ID], "name": display_name(row), "src": src, "missing": missing,
            "clip": row.get(Col.MEDIA_TYPE) == "clip", "kept": bool(row.get(Col.KEEP)),
            "checks": failing_checks(row, ctx.thresholds),
            "pipeline": "pipeline: kept" if row.get(Col.KEEP) else "pipeline: rejected",
            "review": dec.decision if dec else None, "review_text": decision_text(dec),
            "sort": decision_text(dec) if not sort_by else f"{sort_by} {sort_value:.4g}"
            if sort_value is not None else f"{sort_by}: none", "version": dec.version if dec else 0}


def _on_event(key: str) -> None:
    ev = st.session_state.get(key)
    if not isinstance(ev, dict) or ev.get("seq") == st.session_state.get(f"{key}_ack"):
        return
    st.session_state[f"{key}_ack"] = ev.get("seq")
    view: View = st.session_state.get(f"{key}_view") or View(ids=[])
    if ev.get("key") == "select":
        if isinstance(ev.get("index"), int) and 0 <= ev["index"] < len(view.ids):
            st.session_state["cursor"] = ev["index"]
        return
    index = ev.get("index") if isinstance(ev.get("index"), int) else None
    # the event's "item_id" is the grid's own key, not a manifest column
    if index is not None and (index >= len(view.ids) or view.ids[index] != ev.get("item_id")):
        st.session_state["flash"] = ("warning", "The queue changed under that key press; nothing done. Press again.")
        return
    ctx = review_context()
    pressed = str(ev.get("key", ""))
    count = max(1, min(int(ev.get("count") or 1), 1000)) if review_keys.KEYS.get(pressed) in ("next", "prev") else 1
    for _ in range(count):          # moves typed ahead of the server arrive as one event with a count
        then = review_keys.press(ctx.store, st.session_state, ctx.reviewer, ctx.cfg.reject_reasons, view, pressed,
                                 index, moves=st.session_state.get(f"{key}_mode") == "grid",
                                 name_of=lambda i: item_name(ctx, i))
        index = None
    if then == "open" and view.ids:
        st.session_state[GOTO] = ("item", view.ids[st.session_state.get("cursor", 0)])
    elif then == "back":
        st.session_state[GOTO] = ("queue", None)


def review_grid(ctx: Review, view: View, cards: list[dict], status: str, key: str = "grid",
                mode: str = "grid") -> None:
    """Render the grid (or, mode "keys", just the key listener and status bar) for `view`."""
    st.session_state[f"{key}_view"] = view
    st.session_state[f"{key}_mode"] = mode
    message = st.session_state.pop("flash", None)
    _component(mode=mode, cards=cards, cursor=st.session_state.get("cursor", 0) if mode == "grid" else 0,
               status=status, message={"kind": message[0], "text": message[1]} if message else None,
               keys=review_keys.KEYS, help="Keys: " + review_keys.help_line(ctx.cfg.reject_reasons),
               ack=st.session_state.get(f"{key}_ack"), key=key, default=None,
               on_change=functools.partial(_on_event, key))
    if message:         # also as plain text: readable without the component (and by tests)
        st.text(("✔ " if message[0] == "success" else "⚠ ") + message[1])
