"""The run directory: its layout, refusing to clobber an earlier run, and atomic writes through FileSystems
(local or gs://), so a crash never leaves a half-written file under a final name."""
from __future__ import annotations

import os
import uuid

from apache_beam.io.filesystems import FileSystems

from pipelines.dedupe.dedupe_index import INDEX_DIR as DEDUPE_INDEX_DIR

MANIFEST_DIR = "manifest"
DEAD_LETTER_DIR = "dead_letter"
PREVIEWS_DIR = "previews"
EMBEDDINGS_DIR = "embeddings"
CONFIG_FILE = "config.yaml"
REPORT_JSON = "report.json"
REPORT_HTML = "report.html"


def join(run_dir: str, *parts: str) -> str:
    return FileSystems.join(run_dir, *parts)


def write_atomic(path: str, data: bytes, mime_type: str = "application/octet-stream") -> None:
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    ensure_local_dir(FileSystems.split(path)[0])
    with FileSystems.create(tmp, mime_type=mime_type) as f:
        f.write(data)
    FileSystems.rename([tmp], [path])


def ensure_local_dir(path: str) -> None:
    """Object stores have no directories; local disks need them before a create."""
    if "://" not in path:
        os.makedirs(path, exist_ok=True)


def read_bytes(path: str) -> bytes:
    from apache_beam.io.filesystem import CompressionTypes
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        return f.read()


# report.json first: it marks a finished run, so it must go before anything it describes
_OUTPUTS = (REPORT_JSON, REPORT_HTML, "rethreshold_log.jsonl", MANIFEST_DIR, DEAD_LETTER_DIR, PREVIEWS_DIR,
            EMBEDDINGS_DIR, DEDUPE_INDEX_DIR, CONFIG_FILE)


def _pattern(run_dir: str, name: str) -> str:
    return join(run_dir, name) + ("/**" if "." not in name else "")


def _has_outputs(run_dir: str) -> list[str]:
    return [name for name in _OUTPUTS if FileSystems.match([_pattern(run_dir, name)])[0].metadata_list]


def prepare_run_dir(run_dir: str, overwrite: bool) -> None:
    """Refuse an existing run unless asked to overwrite it; then clear what an earlier run left."""
    found = _has_outputs(run_dir)
    if found and not overwrite:
        state = "a finished run" if REPORT_JSON in found else "an unfinished run (no report.json)"
        raise FileExistsError(f"{run_dir} already holds {state} ({', '.join(found)}); "
                              f"choose a new --output or pass --overwrite to replace it")
    for name in found:
        paths = [m.path for m in FileSystems.match([_pattern(run_dir, name)])[0].metadata_list]
        if paths:
            FileSystems.delete(paths)
    ensure_local_dir(run_dir)
