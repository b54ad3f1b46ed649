"""The thresholds a run was curated with, per score, as the run recorded them (RUN/thresholds.json, written by
`framesift curate` and `framesift rethreshold` from the run's filters), so the UI, the stats and the feedback loop
name the exact `--set` key to change without importing the filters themselves."""
from __future__ import annotations

import logging

from framesift import run_files
from framesift.checks import Threshold, thresholds_from_json
from framesift.run_layout import THRESHOLDS_FILE


def thresholds_path(run_dir: str) -> str:
    return run_files.join(run_dir, THRESHOLDS_FILE)


def run_thresholds(run_dir: str) -> list[Threshold]:
    """Every active check of the run; [] (scores shown without threshold lines) when the run did not record them."""
    path = thresholds_path(run_dir)
    if not run_files.exists(path):
        logging.getLogger(__name__).warning("%s has no %s: thresholds unavailable (run `framesift rethreshold %s` "
                                            "once to record them)", run_dir, THRESHOLDS_FILE, run_dir)
        return []
    return thresholds_from_json(run_files.read_bytes(path).decode("utf-8"))
