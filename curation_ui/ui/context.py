"""What every page needs, built once per process (st.cache_resource): the run, its review config, the decision
store, the manifest query and the thresholds, plus the reviewer of this session.

`framesift review` passes the run and the store through the environment (FRAMESIFT_RUN, FRAMESIFT_DB, and the
resolved ReviewConfig as YAML in FRAMESIFT_REVIEW_CONFIG), so any page also runs alone under AppTest.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import streamlit as st
import yaml

from curation_ui.manifest_index import fingerprint
from curation_ui.manifest_query import ManifestQuery
from curation_ui.media import MediaRoots
from curation_ui.store import DecisionStore, default_db_url
from curation_ui.thresholds import run_thresholds, thresholds_path
from framesift import run_files
from framesift.checks import Threshold
from framesift.config import ReviewConfig, from_dict, load_config

ENV_RUN, ENV_DB, ENV_CONFIG = "FRAMESIFT_RUN", "FRAMESIFT_DB", "FRAMESIFT_REVIEW_CONFIG"


@dataclass
class Review:
    run_dir: str
    cfg: ReviewConfig
    db_url: str
    store: DecisionStore
    query: ManifestQuery
    media: MediaRoots
    thresholds: list[Threshold]
    reviewer: Optional[str]


@st.cache_resource(show_spinner=False)
def _store(db_url: str) -> DecisionStore:
    return DecisionStore(db_url)


@st.cache_resource(show_spinner="Indexing the manifest (once per change of the run)...", max_entries=4)
def _query(run_dir: str, run_fingerprint: str) -> ManifestQuery:
    return ManifestQuery(run_dir)


@st.cache_resource(show_spinner=False, max_entries=4)
def _thresholds(run_dir: str, recorded_stamp: tuple[int, int]) -> list[Threshold]:
    return run_thresholds(run_dir)


def review_config() -> ReviewConfig:
    text = os.environ.get(ENV_CONFIG)
    return from_dict(ReviewConfig, yaml.safe_load(text) or {}) if text else load_config("review")


def review_context() -> Review:
    """Everything a page needs; stops the page with a readable error when the run cannot be opened."""
    run_dir = os.environ.get(ENV_RUN, "")
    if not run_dir or not run_files.is_dir(run_dir):
        st.error(f"No run directory to review ({ENV_RUN}={run_dir!r}). Start the UI with "
                 "`framesift review --run RUN_DIR`.")
        st.stop()
    cfg = review_config()
    db_url = os.environ.get(ENV_DB) or cfg.db_url or default_db_url(run_dir)
    try:
        query = _query(run_dir, fingerprint(run_dir))
    except (FileNotFoundError, ValueError) as e:
        st.error(f"Cannot open the manifest of {run_dir}: {e}")
        st.stop()
    recorded = thresholds_path(run_dir)
    thresholds = _thresholds(run_dir, run_files.stamp(recorded) or (0, 0))
    reviewer = (st.session_state.get("reviewer") or "").strip() or None
    return Review(run_dir, cfg, db_url, _store(db_url), query, MediaRoots(run_dir, tuple(cfg.media_roots)),
                  thresholds, reviewer)


def require_reviewer(ctx: Review) -> bool:
    if not ctx.reviewer:
        st.info("Enter your name in the sidebar (Reviewer) to record decisions.")
    return bool(ctx.reviewer)
