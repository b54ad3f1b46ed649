"""Queue: a dense grid of the items matching the sidebar filters (clips animate), reviewed with the keyboard.

a approve, r reject (with the chosen reason) or 1-9 reject with that reason, f flag, s skip, u undo, j/k move,
o open. By default the queue shows undecided items, so each decision brings up the next one. The mouse controls
and batch decisions sit in the collapsed "Controls" expander.
"""
import streamlit as st

from curation_ui import actions
from curation_ui.ui.cards import conflict_banner, decision_text
from curation_ui.ui.context import review_context
from curation_ui.ui.filters import queue_filters
from curation_ui.ui.queue_view import batch_panel, controls, open_item, page_view
from curation_ui.ui.review_grid import GOTO, card, review_grid
from framesift.schemas.columns import Col

ctx = review_context()
# the grid gets the window: less empty space above it (a constant style, no data in it)
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.2rem;padding-bottom:1rem}</style>")
goto = st.session_state.pop(GOTO, None)
if goto and goto[0] == "item":
    open_item(goto[1])
q, states = queue_filters(ctx.query)
include, exclude = actions.state_filter(ctx.store, states)
size = ctx.cfg.page_size
page_no = st.session_state.get("q_page", 0)
page = ctx.query.page(q, page_no * size, size, include, exclude)
if not page.rows and page_no > 0:        # the last page emptied (its items were decided): step back
    st.session_state["q_page"] = page_no = max(0, -(-page.total // size) - 1)
    page = ctx.query.page(q, page_no * size, size, include, exclude)

decisions = ctx.store.get_many(r[Col.ITEM_ID] for r in page.rows)
view = page_view(ctx, page, decisions, states)
if not ctx.reviewer:
    st.info("Enter your name in the sidebar (Reviewer) to record decisions.")
conflict_banner(ctx)
with st.expander("Controls: buttons, reject reason, pages, batch decisions", expanded=False):
    controls(ctx, view)
    batch_panel(ctx, q, include, exclude, page)
cursor = st.session_state["cursor"]
pages = max(1, -(-page.total // size))
if page.rows:
    row = page.rows[cursor]
    status = (f"Current ({cursor + 1} of {len(page.rows)} on page {page_no + 1}/{pages}, {page.total:,} match): "
              f"{view.names[row[Col.ITEM_ID]]} — {decision_text(decisions.get(row[Col.ITEM_ID]))}")
else:
    status = "No items match these filters."
st.text(status)
ctx.media.prefetch([r.get(Col.PREVIEW_PATH) or r.get(Col.THUMBNAIL_PATH) for r in page.rows])   # a bucket's run
review_grid(ctx, view, [card(ctx, r, decisions.get(r[Col.ITEM_ID]), i, q.sort_by) for i, r in enumerate(page.rows)],
            "")
