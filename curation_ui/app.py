"""framesift review UI. Run it with `framesift review --run RUN_DIR [--db URL] [--port N]` (which sets the
environment this app reads; see curation_ui/ui/context.py). Routing only; the pages live in curation_ui/app_pages/
(not `pages/`: Streamlit treats a `pages/` folder beside the entry script as a legacy multipage app, and then a
deep link such as /item?item=ID opened first after a restart runs the page without this entrypoint).

Streamlit serves its default page only at "/", so the Queue is an ordinary page at /queue and "/" forwards to it
(with the link's parameters); the sidebar lists the pages itself, without that forwarding entry.
The page icon is an emoji: Streamlit draws it locally, where a :material/...: page icon is fetched from a font host.
"""
import os
import sys

import streamlit as st

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # a plain checkout works too

from curation_ui.ui.identity import reviewer_sidebar  # noqa: E402

PAGES = [
    st.Page("app_pages/queue.py", title="Queue", icon=":material/view_module:", url_path="queue"),
    st.Page("app_pages/item.py", title="Item", icon=":material/image_search:", url_path="item"),
    st.Page("app_pages/duplicates.py", title="Duplicates", icon=":material/content_copy:", url_path="duplicates"),
    st.Page("app_pages/stats.py", title="Stats", icon=":material/bar_chart:", url_path="stats"),
    st.Page("app_pages/feedback.py", title="Feedback", icon=":material/tune:", url_path="feedback"),
    st.Page("app_pages/export.py", title="Export", icon=":material/download:", url_path="export"),
]


def _to_queue():
    st.switch_page(PAGES[0], query_params=[(k, v) for k in st.query_params for v in st.query_params.get_all(k)])


st.set_page_config(page_title="framesift review", page_icon="🎞️", layout="wide")
page = st.navigation([st.Page(_to_queue, title="Start", url_path="start", default=True)] + PAGES,
                     position="hidden")
for p in PAGES:
    st.sidebar.page_link(p)
reviewer_sidebar()
page.run()
