"""The queue's parts besides the grid: the view of this page (what a key press acts on), the mouse controls (decision
buttons, reject reason, moves, pager) and the batch panel that applies one decision to the whole filtered selection
(or just this page). The controls sit in a collapsed expander so the grid gets the window."""
from __future__ import annotations

import streamlit as st

from curation_ui import actions
from curation_ui.manifest_query import Page, QueueQuery
from curation_ui.review_keys import View
from curation_ui.ui.cards import decision_buttons, display_name
from curation_ui.ui.context import Review
from framesift.schemas.columns import Col


def page_view(ctx: Review, page: Page, decisions: dict, states: list[str]) -> View:
    ids = [r[Col.ITEM_ID] for r in page.rows]
    focus = st.session_state.pop("focus_item", None)       # an undone item: put the cursor back on it
    if focus in ids:
        st.session_state["cursor"] = ids.index(focus)
    st.session_state["cursor"] = min(max(st.session_state.get("cursor", 0), 0), max(len(ids) - 1, 0))
    return View(ids=ids, names={r[Col.ITEM_ID]: display_name(r) for r in page.rows},
                versions={i: d.version for i, d in decisions.items()}, total=page.total,
                page_size=ctx.cfg.page_size, states=tuple(states))


def controls(ctx: Review, view: View) -> None:
    n = len(view.ids)
    decision_buttons(ctx, view, moves=True)
    prev, nxt, opn = st.columns(3)
    prev.button("◀ Previous (k)", key="kb_prev", width="stretch", disabled=not n,
                on_click=actions.move_cursor, args=(st.session_state, -1, n, view.page_size, view.total))
    nxt.button("Next ▶ (j)", key="kb_next", width="stretch", disabled=not n,
               on_click=actions.move_cursor, args=(st.session_state, 1, n, view.page_size, view.total))
    if opn.button("Open (o)", key="kb_open", width="stretch", disabled=not n):
        open_item(view.ids[st.session_state.get("cursor", 0)])
    pager(view.total, view.page_size)


def open_item(item_id: str) -> None:
    """The Item page for this item; the reviewer's name goes along in the URL (a reload keeps it)."""
    params = {"item": item_id}
    if st.query_params.get("reviewer"):
        params["reviewer"] = st.query_params["reviewer"]
    st.switch_page("app_pages/item.py", query_params=params)


def pager(total: int, size: int) -> None:
    pages = max(1, -(-total // size))
    page = min(st.session_state.get("q_page", 0), pages - 1)
    st.session_state["q_page"] = page
    a, b, c = st.columns([1, 2, 1])
    a.button("◀ Page", key="page_prev", disabled=page == 0, on_click=_turn, args=(-1,), width="stretch")
    b.text(f"page {page + 1} of {pages} · {total:,} items match")
    c.button("Page ▶", key="page_next", disabled=page + 1 >= pages, on_click=_turn, args=(1,), width="stretch")


def _turn(step: int) -> None:
    st.session_state["q_page"] = max(0, st.session_state.get("q_page", 0) + step)
    st.session_state["cursor"] = 0


def batch_panel(ctx: Review, q: QueueQuery, include, exclude, page: Page) -> None:
    with st.expander(f"Batch: one decision for many items ({page.total:,} match the filters)"):
        scope = st.radio("Apply to", ["this page", "every item matching the filters"], key="batch_scope",
                         horizontal=True)
        decision = st.selectbox("Decision", ["approve", "reject", "flag", "skip"], key="batch_decision")
        reason = st.selectbox("Reason (for reject)", ctx.cfg.reject_reasons, key="batch_reason")
        count = len(page.rows) if scope == "this page" else page.total
        sure = st.checkbox(f"Yes, {decision} {count:,} items", key="batch_confirm")
        st.button("Apply", key="batch_apply", disabled=not (sure and ctx.reviewer and count),
                  on_click=_apply_batch, args=(ctx, q, include, exclude, page, scope, decision, reason))


def _apply_batch(ctx: Review, q, include, exclude, page: Page, scope, decision, reason) -> None:
    ids = [r[Col.ITEM_ID] for r in page.rows] if scope == "this page" else ctx.query.item_ids(q, include, exclude)
    done, changed = actions.batch_decide(ctx.store, ids, decision, ctx.reviewer, reason)
    st.session_state["flash"] = ("success", f"{decision}: {done:,} items recorded"
                                 + (f"; {len(changed):,} changed meanwhile and were left alone" if changed else ""))
    st.session_state["batch_confirm"] = False
