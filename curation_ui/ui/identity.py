"""Who is reviewing: Streamlit's OIDC login (st.login) when `[auth]` is configured in secrets.toml, otherwise a
name typed once into the sidebar (kept in the URL, so a reload keeps it). Pages read st.session_state["reviewer"].
"""
from __future__ import annotations

import streamlit as st

from curation_ui.ui.context import review_config


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:       # no secrets.toml at all
        return False


def _remember_name() -> None:
    name = (st.session_state.get("reviewer") or "").strip()
    if name:
        st.query_params["reviewer"] = name
    elif "reviewer" in st.query_params:
        del st.query_params["reviewer"]


def reviewer_sidebar() -> None:
    sb = st.sidebar
    if oidc_configured():
        if not st.user.get("is_logged_in", False):
            sb.button("Log in to review", key="login", on_click=st.login)
            st.session_state["reviewer"] = ""
            return
        st.session_state["reviewer"] = st.user.get("email") or st.user.get("name") or "unknown"
        sb.text(f"Reviewer: {st.session_state['reviewer']}")
        sb.button("Log out", key="logout", on_click=st.logout)
        return
    if "reviewer" not in st.session_state:
        st.session_state["reviewer"] = st.query_params.get("reviewer") or review_config().reviewer or ""
    sb.text_input("Reviewer", key="reviewer", on_change=_remember_name, placeholder="your name",
                  help="recorded with every decision and in the audit log")
    if st.session_state.get("reviewer") and st.query_params.get("reviewer") != st.session_state["reviewer"]:
        _remember_name()
