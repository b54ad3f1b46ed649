"""Item: the failing checks first (score, rule, threshold), the full image or clip (played frame-accurately within
its span), the decision controls (same keys as the queue; Esc goes back), then every score, the reasons, metadata,
spectral profile and this item's audit trail."""
import pandas as pd
import streamlit as st

from curation_ui.item_info import failing_checks, probe_fields, score_table
from curation_ui.review_keys import View
from curation_ui.ui.cards import conflict_banner, decision_buttons, decision_text, display_name
from curation_ui.ui.context import review_context
from curation_ui.ui.item_view import full_media, spectral_chart
from curation_ui.ui.review_grid import GOTO, review_grid
from framesift.schemas.columns import Col

ctx = review_context()
goto = st.session_state.pop(GOTO, None)
if goto and goto[0] == "queue":
    st.switch_page("app_pages/queue.py")
st.sidebar.text_input("Open another item (paste its id)", key="item_lookup",
                      on_change=lambda: st.query_params.update(item=st.session_state["item_lookup"].strip()))
item_id = st.query_params.get("item") or st.session_state.get(Col.ITEM_ID) or ""
if not item_id:
    st.info("Open an item from the queue (o), or paste an item id in the sidebar.")
    st.stop()
row = ctx.query.manifest_row(item_id)
if row is None:
    st.error("No item with this id in the manifest.")
    st.stop()
st.session_state[Col.ITEM_ID] = item_id
st.query_params["item"] = item_id
index_row = ctx.query.find([item_id])[0]
name = display_name(index_row)
dec = ctx.store.get(item_id)
view = View(ids=[item_id], names={item_id: name}, versions={item_id: dec.version} if dec else {})

status = f"{name} — pipeline: {'kept' if row.keep else 'rejected'} · review: {decision_text(dec)}"
st.text(status)
review_grid(ctx, view, [], "", key="item_keys", mode="keys")
conflict_banner(ctx)

left, right = st.columns([3, 2])
with right:
    failing = failing_checks(row, ctx.thresholds)
    st.subheader("Failing checks" if failing else "No failing checks (the pipeline kept it)")
    if failing:
        st.table(pd.DataFrame(failing).set_index("check"))
    decision_buttons(ctx, view, moves=False, compact=True)
    st.button("◀ Back to the queue (Esc)", key="back_to_queue", on_click=st.session_state.update,
              kwargs={GOTO: ("queue", None)})
with left:
    full_media(ctx, row, index_row)
    if row.caption:
        st.text(f"caption: {row.caption}")

st.subheader("Scores")
extra = {k: v for k, v in index_row[Col.SCORES].items() if k not in row.scores}    # e.g. preference
scores = pd.DataFrame(score_table(row, ctx.thresholds, extra))
if not scores.empty:
    scores = scores.sort_values("passes", key=lambda s: s.map({False: 0, True: 1}).fillna(2), kind="stable")
st.dataframe(scores, hide_index=True, width="stretch", height=min(36 * (len(scores) + 1) + 3, 900),
             column_config={"rule": st.column_config.TextColumn(width="large")})
c1, c2 = st.columns(2)
with c1:
    st.subheader("Metadata")
    st.dataframe(pd.DataFrame(probe_fields(row)), hide_index=True, width="stretch")
with c2:
    spectral_chart(ctx, row, index_row)
st.subheader("History")
history = [e.__dict__ for e in ctx.store.audit(subject=item_id)]
if history:
    st.dataframe(pd.DataFrame(history), hide_index=True)
else:
    st.text("no decisions yet")
