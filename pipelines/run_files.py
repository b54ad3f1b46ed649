"""Files of a run directory and media inputs on any filesystem Beam knows (local or gs://): atomic writes (temp file
+ rename), so a crash never leaves a half-written file under a final name, and whole-file reads. Shared by every
stage that writes into a run (curate, dedupe index, rethreshold); the names of those files are
framesift/run_layout.py.

Local paths use plain file calls and Beam's FileSystems is imported only for other schemes: the per-item work that
runs in a decoder helper process (pipelines/media/helper_process.py) must not import Beam or gRPC."""
from __future__ import annotations

import os
import stat
import uuid
from typing import BinaryIO


def is_local(path: str) -> bool:
    return "://" not in path


def _filesystems():
    from apache_beam.io.filesystems import FileSystems
    return FileSystems


def join(run_dir: str, *parts: str) -> str:
    return os.path.join(run_dir, *parts) if is_local(run_dir) else _filesystems().join(run_dir, *parts)


def write_atomic(path: str, data: bytes, mime_type: str = "application/octet-stream") -> None:
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    if is_local(path):
        ensure_local_dir(os.path.dirname(path) or ".")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return
    fs = _filesystems()
    with fs.create(tmp, mime_type=mime_type) as f:
        f.write(data)
    fs.rename([tmp], [path])


def ensure_local_dir(path: str) -> None:
    """Object stores have no directories; local disks need them before a create."""
    if is_local(path):
        os.makedirs(path, exist_ok=True)


def open_for_reading(path: str) -> BinaryIO:
    if is_local(path):
        return open(path, "rb")
    from apache_beam.io.filesystem import CompressionTypes
    return _filesystems().open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def read_bytes(path: str) -> bytes:
    with open_for_reading(path) as f:
        return f.read()


_SPECIAL = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"))


def open_input(path: str) -> BinaryIO:
    """A media input: a local one must be a regular file, since opening a named pipe that matched an input glob
    blocks until some writer appears, hanging the job (sidecars may be pipes: they use open_for_reading)."""
    if is_local(path):
        mode = os.stat(path).st_mode
        kind = next((name for test, name in _SPECIAL if test(mode)), None)
        if kind:
            raise OSError(f"not a regular file: {kind}")
    return open_for_reading(path)


def read_input(path: str) -> bytes:
    with open_input(path) as f:
        return f.read()


def exists(path: str) -> bool:
    return os.path.exists(path) if is_local(path) else _filesystems().exists(path)
