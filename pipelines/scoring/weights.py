"""Where model weights come from: local files only, never a silent download.

Weights named by a remote URI (gs://..., anything Beam's FileSystems reads) are copied once per process into a
local cache, so a Dataflow worker loads the same checkpoint as a laptop. A short content digest goes into the
provenance string, because a file name alone ("model.pth") does not say which weights scored a manifest.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile


class WeightsError(RuntimeError):
    """Weights that cannot be loaded. The message names the model and says what to do; never caught to fall back
    to random weights."""


def is_remote(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def local_path(path: str, what: str) -> str:
    """A local file holding `path`'s bytes; remote URIs are copied into a per-user cache once."""
    if path.startswith("file://"):
        path = path[len("file://"):]
    if not is_remote(path):
        path = os.path.expanduser(path)
        if not os.path.isfile(path):
            raise WeightsError(f"{what}: weights file '{path}' does not exist (give a local file or a gs:// URI)")
        return path
    from apache_beam.io.filesystems import FileSystems     # only remote weights need Beam's file systems
    cache = os.path.join(tempfile.gettempdir(), "framesift-weights")
    os.makedirs(cache, exist_ok=True)
    target = os.path.join(cache, hashlib.sha1(path.encode()).hexdigest()[:16] + "-" + os.path.basename(path))
    if not os.path.isfile(target):
        try:
            with FileSystems.open(path) as src, tempfile.NamedTemporaryFile(dir=cache, delete=False) as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
        except Exception as e:
            raise WeightsError(f"{what}: cannot read weights '{path}': {type(e).__name__}: {e}") from e
        os.replace(dst.name, target)
    return target


def check_exists(path: str, what: str) -> None:
    """Launch-time check that weights exist, without copying or reading them."""
    if not is_remote(path):
        local_path(path, what)
        return
    from apache_beam.io.filesystems import FileSystems
    try:
        found = FileSystems.exists(path)
    except Exception as e:
        raise WeightsError(f"{what}: cannot check weights '{path}': {type(e).__name__}: {e}") from e
    if not found:
        raise WeightsError(f"{what}: weights '{path}' do not exist")


def file_digest(path: str, length: int = 12) -> str:
    """First `length` hex digits of the file's sha256: enough to tell two checkpoints apart in provenance."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()[:length]
