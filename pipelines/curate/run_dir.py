"""The run directory on any filesystem Beam knows (local or gs://): refusing to clobber an earlier run. Its layout
(the names) is framesift/run_layout.py and its file I/O pipelines/run_files.py; both are re-exported here for the
curate code that writes a run (`rd.join(run_dir, rd.MANIFEST_DIR)`)."""
from __future__ import annotations

from apache_beam.io.filesystems import FileSystems

from framesift.run_layout import (CONFIG_FILE, CURATE_OUTPUTS, DEAD_LETTER_DIR, DEAD_LETTER_PREFIX,  # noqa: F401
                                  DEDUPE_INDEX_DIR, EMBEDDINGS_DIR, JOB_LOG, MANIFEST_DIR, PREVIEWS_DIR, REPORT_HTML,
                                  REPORT_JSON, RETHRESHOLD_LOG, THRESHOLDS_FILE)
from pipelines.run_files import ensure_local_dir, exists, join, read_bytes, write_atomic  # noqa: F401


def _pattern(run_dir: str, name: str) -> str:
    return join(run_dir, name) + ("/**" if "." not in name else "")


def _has_outputs(run_dir: str) -> list[str]:
    return [name for name in CURATE_OUTPUTS if FileSystems.match([_pattern(run_dir, name)])[0].metadata_list]


def refuse_existing_run(run_dir: str) -> list[str]:
    """Raise FileExistsError, naming --overwrite, if RUN_DIR holds a run; checked first, so a rerun refuses at once.
    -> the outputs found (none unless overwriting)."""
    found = _has_outputs(run_dir)
    if found:
        state = "a finished run" if REPORT_JSON in found else "an unfinished run (no report.json)"
        raise FileExistsError(f"{run_dir} already holds {state} ({', '.join(found)}); "
                              f"choose a new --output or pass --overwrite to replace it")
    return found


def prepare_run_dir(run_dir: str, overwrite: bool) -> None:
    """Refuse an existing run unless asked to overwrite it; then clear what an earlier run left."""
    found = _has_outputs(run_dir) if overwrite else refuse_existing_run(run_dir)
    for name in found:
        paths = [m.path for m in FileSystems.match([_pattern(run_dir, name)])[0].metadata_list]
        if paths:
            FileSystems.delete(paths)
    ensure_local_dir(run_dir)
