"""The run directory's layout: every file and folder a curate run, rethreshold, the review UI and export read or
write under RUN_DIR, named once here. Names only, no I/O (pipelines/curate/run_dir.py writes them through Beam's
FileSystems; the UI reads them with plain os calls), so every layer can import it."""
from __future__ import annotations

import posixpath

# written by `framesift curate`
MANIFEST_DIR = "manifest"                   # manifest/*.parquet: framesift.schemas.manifest rows
DEAD_LETTER_DIR = "dead_letter"             # dead_letter/*.jsonl: framesift.schemas.dead_letter records
DEAD_LETTER_PREFIX = "dead_letter"          # file name prefix inside DEAD_LETTER_DIR
PREVIEWS_DIR = "previews"                   # thumbnails and animated clip previews (preview_relpath)
BROWSER_PREVIEW_SUFFIX = ".mp4"             # a clip a browser cannot play: its H.264 copy, beside the animation
EMBEDDINGS_DIR = "embeddings"               # embeddings/*.parquet: framesift.schemas.embedding records
DEDUPE_INDEX_DIR = "dedupe_index"           # the persisted dedupe index, for later --dedupe-against runs
CONFIG_FILE = "config.yaml"                 # the resolved curate config
THRESHOLDS_FILE = "thresholds.json"         # the active checks of that config (framesift.checks.Threshold)
REPORT_JSON = "report.json"                 # written last: its presence marks a finished run
REPORT_HTML = "report.html"
JOB_LOG = "job.log"                         # what the job's processes printed; the traceback if the job failed
# written by `framesift rethreshold`
RETHRESHOLD_LOG = "rethreshold_log.jsonl"
# written by the review UI
REVIEW_DB_FILE = "review.sqlite"            # the default decision store
REVIEW_INDEX_DIR = ".review_index"          # the UI's flat Arrow index of the manifest
FEEDBACK_DIR = "feedback"
PREFERENCE_FILE = posixpath.join(FEEDBACK_DIR, "preference_scores.parquet")
FEEDBACK_SUMMARY_FILE = posixpath.join(FEEDBACK_DIR, "feedback.json")
SUGGESTED_THRESHOLDS_FILE = posixpath.join(FEEDBACK_DIR, "suggested_thresholds.txt")

# everything a curate run writes; report.json first: it marks a finished run, so it must go before anything it
# describes when an earlier run is cleared
CURATE_OUTPUTS = (REPORT_JSON, REPORT_HTML, JOB_LOG, RETHRESHOLD_LOG, MANIFEST_DIR, DEAD_LETTER_DIR, PREVIEWS_DIR,
                  EMBEDDINGS_DIR, DEDUPE_INDEX_DIR, CONFIG_FILE, THRESHOLDS_FILE)


def preview_relpath(item_id: str, suffix: str) -> str:
    """Where an item's thumbnail or preview lives, relative to the run dir; a two-level fan-out keeps directories
    small at millions of items."""
    return f"{PREVIEWS_DIR}/{item_id[:2]}/{item_id}{suffix}"


def browser_preview_relpath(preview_path: str) -> str:
    """The browser-safe MP4 of a clip, beside its animated preview (both relative to the run dir)."""
    return posixpath.splitext(preview_path)[0] + BROWSER_PREVIEW_SUFFIX
