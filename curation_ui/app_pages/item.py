"""Item: the full image or clip, every score against its threshold, the reasons, metadata, spectral profile, the
decision controls (same keys as the queue) and this item's audit trail."""
import pandas as pd
import streamlit as st

from curation_ui.item_info import probe_fields, score_table
from curation_ui.ui.cards import conflict_banner, decision_buttons, decision_text, display_name, flash
from curation_ui.ui.context import review_context
from curation_ui.ui.item_view import full_media, spectral_chart
from curation_ui.ui.keyboard import install_shortcuts

ctx = review_context()
st.title("Item")
item_id = st.query_params.get("item") or st.session_state.get("item_id") or ""
item_id = st.text_input("Item id", value=item_id, key="item_lookup").strip()
if not item_id:
    st.info("Open an item from the queue, or paste an item id.")
    st.stop()
row = ctx.query.manifest_row(item_id)
if row is None:
    st.error("No item with this id in the manifest.")
    st.stop()
st.session_state["item_id"] = item_id
st.query_params["item"] = item_id
index_row = ctx.query.find([item_id])[0]

left, right = st.columns([3, 2])
with left:
    st.text(display_name(index_row))
    full_media(ctx, row, index_row)
    if row.caption:
        st.text(f"caption: {row.caption}")
    spectral_chart(ctx, row, index_row)
with right:
    dec = ctx.store.get(item_id)
    st.text(f"pipeline: {'kept' if row.keep else 'rejected'} · review: {decision_text(dec)}")
    conflict_banner(ctx)
    flash()
    decision_buttons(ctx, item_id, dec)
    install_shortcuts()
    st.subheader("Scores")
    extra = {k: v for k, v in index_row["scores"].items() if k not in row.scores}    # e.g. preference
    st.dataframe(pd.DataFrame(score_table(row, ctx.thresholds, extra)), hide_index=True)
    st.subheader("Reasons")
    for r in row.reject_reasons or []:
        st.text(f"[{r.stage}] {r.describe()}")
    if not row.reject_reasons:
        st.text("none")
    st.subheader("Metadata")
    st.dataframe(pd.DataFrame(probe_fields(row)), hide_index=True)
    st.subheader("History")
    history = [e.__dict__ for e in ctx.store.audit(subject=item_id)]
    if history:
        st.dataframe(pd.DataFrame(history), hide_index=True)
    else:
        st.text("no decisions yet")
