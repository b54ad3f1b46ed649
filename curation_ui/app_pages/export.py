"""Export: write the approved set with each row's decision provenance, under a chosen policy (the same as
`framesift export --run RUN_DIR --output FILE --policy NAME`)."""
import shlex

import pandas as pd
import streamlit as st

from curation_ui.export import POLICIES, export_approved
from curation_ui.media import resolve_under
from curation_ui.ui.context import review_context
from framesift import run_files

ctx = review_context()
st.title("Export the approved set")
names = list(POLICIES)
policy = st.radio("Policy", names, index=names.index(ctx.cfg.export_policy), key="export_policy",
                  format_func=lambda n: f"{n}: {POLICIES[n].description}")
# the UI writes only under RUN/export/ (the CLI writes anywhere its user can)
name = st.text_input("File name (under RUN/export/)", value="approved.parquet", key="export_output").strip()
export_dir = run_files.join(ctx.run_dir, "export")      # a gs:// run's export goes back into its bucket
st.code(f"framesift export --run {shlex.quote(ctx.run_dir)} --output "
        f"{shlex.quote(run_files.join(export_dir, name))} --policy {policy}", language="bash")

if st.button("Export", key="export_go", disabled=not name):
    with st.spinner("Writing the approved set..."):
        try:
            output = resolve_under(export_dir, name)
            stats = export_approved(ctx.run_dir, ctx.store, output, policy)
        except (OSError, ValueError) as e:
            st.error("Export failed.")
            st.text(str(e))
            st.stop()
    st.session_state["export_stats"] = (output, policy, stats)

done = st.session_state.get("export_stats")
if done:
    output, used_policy, stats = done
    st.success(f"Exported {stats.get('exported', 0):,} of {stats.get('rows', 0):,} items.")
    st.text(f"{output} (policy {used_policy})")
    st.dataframe(pd.DataFrame(sorted(stats.items()), columns=["count", "items"]), hide_index=True)

st.subheader("Decisions so far")
st.dataframe(pd.DataFrame(sorted(ctx.store.counts().items()), columns=["decision", "items"]), hide_index=True)
