"""Duplicates: each duplicate group side by side, its representative marked; a reviewer can make another member
the representative (recorded and audited like any decision; `framesift export` honours it)."""
import streamlit as st

from curation_ui import actions
from curation_ui.duplicates import group_ids, load_groups
from curation_ui.ui.cards import display_name, flash, pipeline_text, thumbnail
from curation_ui.ui.context import review_context
from framesift.schemas.columns import Col

PER_PAGE, COLUMNS = 8, 6

ctx = review_context()
st.title("Duplicate groups")
page = st.session_state.get("dup_page", 0)
total, ids = group_ids(ctx.query, page * PER_PAGE, PER_PAGE)
if total == 0:
    st.info("No duplicate groups in this run (they appear once the dedupe stage has grouped items).")
    st.stop()
flash()
pages = -(-total // PER_PAGE)
st.text(f"{total:,} groups, largest first · page {page + 1} of {pages}")
a, b = st.columns(2)
a.button("◀ Groups", key="dup_prev", disabled=page == 0,
         on_click=lambda: st.session_state.update(dup_page=page - 1))
b.button("Groups ▶", key="dup_next", disabled=page + 1 >= pages,
         on_click=lambda: st.session_state.update(dup_page=page + 1))

for group in load_groups(ctx.query, ctx.store, ids):
    with st.container(border=True):
        who = f"chosen by {group.choice.reviewer}" if group.choice else "pipeline's pick"
        st.text(f"group {group.group_id} · {len(group.members)} items · representative: "
                f"{group.representative or 'none'} ({who})")
        cols = st.columns(COLUMNS)
        for i, member in enumerate(group.members[:2 * COLUMNS]):
            with cols[i % COLUMNS]:
                data = thumbnail(ctx.media, member)
                if data:
                    st.image(data, width="stretch")
                st.text(display_name(member)[:50])
                st.text(pipeline_text(member)[:60])
                if member[Col.ITEM_ID] == group.representative:
                    st.text("★ representative")
                else:
                    st.button("Make representative", key=f"rep_{group.group_id}_{member[Col.ITEM_ID]}",
                              disabled=not ctx.reviewer, on_click=actions.choose_representative,
                              args=(ctx.store, st.session_state, group.group_id, member[Col.ITEM_ID],
                                    ctx.reviewer, group.version))
        if len(group.members) > 2 * COLUMNS:
            st.text(f"... and {len(group.members) - 2 * COLUMNS} more (Queue: filter by this group)")
