"""Queue: a page of thumbnails (clips animate) matching the sidebar filters, reviewed with the keyboard.

The item under the cursor gets the decision: a approve, r reject (with the selected reason), f flag, s skip;
j/k move. By default the queue shows undecided items, so each decision brings up the next one.
"""
import streamlit as st

from curation_ui import actions
from curation_ui.ui.cards import conflict_banner, flash
from curation_ui.ui.context import review_context
from curation_ui.ui.filters import queue_filters
from curation_ui.ui.keyboard import install_shortcuts
from curation_ui.ui.queue_view import batch_panel, decision_bar, grid, pager

ctx = review_context()
st.title("Review queue")
q, states = queue_filters(ctx.query)
include, exclude = actions.state_filter(ctx.store, states)
size = ctx.cfg.page_size
page_no = st.session_state.get("q_page", 0)
page = ctx.query.page(q, page_no * size, size, include, exclude)
if not page.rows and page_no > 0:        # the last page emptied (its items were decided): step back
    st.session_state["q_page"] = page_no = max(0, -(-page.total // size) - 1)
    page = ctx.query.page(q, page_no * size, size, include, exclude)

conflict_banner(ctx)
flash()
if not page.rows:
    st.info("No items match these filters.")
    st.stop()
decisions = ctx.store.get_many(r["item_id"] for r in page.rows)
if not ctx.reviewer:
    st.info("Enter your name in the sidebar (Reviewer) to record decisions.")
decision_bar(ctx, page, decisions, states)
install_shortcuts()
grid(ctx, page, decisions)
pager(page.total, size)
batch_panel(ctx, q, include, exclude, page)
