"""The thresholds a run was curated with, per score, as the run recorded them (RUN/thresholds.json, written by
`framesift curate` and `framesift rethreshold` from the run's filters), so the UI, the stats and the feedback loop
name the exact `--set` key to change without importing the filters themselves."""
from __future__ import annotations

import logging
import os

from framesift.checks import Threshold, thresholds_from_json
from framesift.run_layout import THRESHOLDS_FILE


def thresholds_path(run_dir: str) -> str:
    return os.path.join(run_dir, THRESHOLDS_FILE)


def run_thresholds(run_dir: str) -> list[Threshold]:
    """Every active check of the run; [] (scores shown without threshold lines) when the run did not record them."""
    path = thresholds_path(run_dir)
    if not os.path.exists(path):
        logging.getLogger(__name__).warning("%s has no %s: thresholds unavailable (run `framesift rethreshold %s` "
                                            "once to record them)", run_dir, THRESHOLDS_FILE, run_dir)
        return []
    with open(path, encoding="utf-8") as f:
        return thresholds_from_json(f.read())
