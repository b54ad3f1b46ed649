"""framesift review UI. Run it with `framesift review --run RUN_DIR [--db URL] [--port N]` (which sets the
environment this app reads; see curation_ui/ui/context.py). Routing only; the pages live in curation_ui/app_pages/
(not `pages/`: Streamlit treats a `pages/` folder beside the entry script as a legacy multipage app, and then a
deep link such as /item?item=ID opened first after a restart runs the page without this entrypoint)."""
import os
import sys

import streamlit as st

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # a plain checkout works too

from curation_ui.ui.identity import reviewer_sidebar  # noqa: E402

st.set_page_config(page_title="framesift review", page_icon=":material/movie_filter:", layout="wide")
reviewer_sidebar()
st.navigation([
    st.Page("app_pages/queue.py", title="Queue", icon=":material/view_module:", default=True, url_path="queue"),
    st.Page("app_pages/item.py", title="Item", icon=":material/image_search:", url_path="item"),
    st.Page("app_pages/duplicates.py", title="Duplicates", icon=":material/content_copy:", url_path="duplicates"),
    st.Page("app_pages/stats.py", title="Stats", icon=":material/bar_chart:", url_path="stats"),
    st.Page("app_pages/feedback.py", title="Feedback", icon=":material/tune:", url_path="feedback"),
    st.Page("app_pages/export.py", title="Export", icon=":material/download:", url_path="export"),
]).run()
