"""The queue's parts: the decision bar for the item under the cursor, the thumbnail grid, the pager and the batch
panel that applies one decision to the whole filtered selection (or just this page)."""
from __future__ import annotations

import streamlit as st

from curation_ui import actions
from curation_ui.manifest_query import Page, QueueQuery
from curation_ui.ui.cards import card, decision_buttons, decision_text, display_name
from curation_ui.ui.context import Review
from curation_ui.ui.keyboard import HELP

COLUMNS = 6


def decision_bar(ctx: Review, page: Page, decisions: dict, states: list[str]) -> None:
    size = ctx.cfg.page_size
    n = len(page.rows)
    cursor = min(st.session_state.get("cursor", 0), max(n - 1, 0))
    st.session_state["cursor"] = cursor
    row = page.rows[cursor]
    dec = decisions.get(row["item_id"])
    with st.container(border=True):
        st.text(f"Current ({cursor + 1} of {n} on this page): {display_name(row)} — {decision_text(dec)}")

        def advance(decision):
            if actions.stays_in_view(decision, states):
                actions.move_cursor(st.session_state, 1, n, size, page.total)

        decision_buttons(ctx, row["item_id"], dec, on_done=advance)
        prev, nxt, opn = st.columns(3)
        prev.button("◀ Previous (k)", key="kb_prev", width="stretch",
                    on_click=actions.move_cursor, args=(st.session_state, -1, n, size, page.total))
        nxt.button("Next ▶ (j)", key="kb_next", width="stretch",
                   on_click=actions.move_cursor, args=(st.session_state, 1, n, size, page.total))
        if opn.button("Open (o)", key="kb_open", width="stretch"):
            st.switch_page("app_pages/item.py", query_params={"item": row["item_id"]})
        st.caption(HELP)


def grid(ctx: Review, page: Page, decisions: dict) -> None:
    cursor = st.session_state.get("cursor", 0)
    for start in range(0, len(page.rows), COLUMNS):
        cols = st.columns(COLUMNS)
        for i, row in enumerate(page.rows[start:start + COLUMNS]):
            with cols[i]:
                card(ctx, row, decisions.get(row["item_id"]), start + i, start + i == cursor)


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
    ids = [r["item_id"] for r in page.rows] if scope == "this page" else ctx.query.item_ids(q, include, exclude)
    done, changed = actions.batch_decide(ctx.store, ids, decision, ctx.reviewer, reason)
    st.session_state["flash"] = ("success", f"{decision}: {done:,} items recorded"
                                 + (f"; {len(changed):,} changed meanwhile and were left alone" if changed else ""))
    st.session_state["batch_confirm"] = False
