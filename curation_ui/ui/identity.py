"""Who is reviewing: Streamlit's OIDC login (st.login) when `[auth]` is configured in secrets.toml, otherwise a
name typed once into the sidebar. Pages read st.session_state["reviewer"].

The typed name is kept in a plain session key as well as in the text box's widget state: Streamlit drops a
widget's state when a run ends without it (a page switch that interrupts the run can do that), and the plain key
restores it, so the name holds for the whole browser session on every page. It also goes into the URL, so a reload
or a link opened in a new tab keeps it.
"""
from __future__ import annotations

import streamlit as st

from curation_ui.ui.context import review_config

_NAME = "_reviewer_name"


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:       # no secrets.toml at all
        return False


def _remember_name() -> None:
    name = (st.session_state.get("reviewer") or "").strip()
    st.session_state[_NAME] = name
    if name:
        st.query_params["reviewer"] = name
    elif "reviewer" in st.query_params:
        del st.query_params["reviewer"]


def reviewer_sidebar() -> None:
    sb = st.sidebar
    state = st.session_state
    if oidc_configured():
        if not st.user.get("is_logged_in", False):
            sb.button("Log in to review", key="login", on_click=st.login)
            state["reviewer"] = ""
            return
        state["reviewer"] = st.user.get("email") or st.user.get("name") or "unknown"
        sb.text(f"Reviewer: {state['reviewer']}")
        sb.button("Log out", key="logout", on_click=st.logout)
        return
    if _NAME not in state:
        state[_NAME] = (state.get("reviewer") or st.query_params.get("reviewer") or review_config().reviewer
                        or "").strip()
    if state.get("reviewer") != state[_NAME]:
        state["reviewer"] = state[_NAME]
    sb.text_input("Reviewer", key="reviewer", on_change=_remember_name, placeholder="your name",
                  help="recorded with every decision and in the audit log")
    if state[_NAME] and st.query_params.get("reviewer") != state[_NAME]:
        st.query_params["reviewer"] = state[_NAME]
