"""Files of a run directory on any filesystem Beam knows (local or gs://): atomic writes (temp file + rename), so a
crash never leaves a half-written file under a final name, and whole-file reads. Shared by every stage that writes
into a run (curate, dedupe index, rethreshold); the names of those files are framesift/run_layout.py."""
from __future__ import annotations

import os
import uuid

from apache_beam.io.filesystems import FileSystems


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


def exists(path: str) -> bool:
    return FileSystems.exists(path)
