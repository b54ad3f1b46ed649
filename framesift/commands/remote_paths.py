"""gs:// paths for the model commands (train-autoencoder, train, sample, shards inspect), whose libraries read and
write local paths: Grain reads ArrayRecord shards by random access (over a bucket, one ranged request per record:
the trainer would wait on the network every step), orbax checkpoints a local directory (gs:// would need gcsfs or
TensorFlow, neither a framesift dependency), and the decoders read local files.

So a gs:// input is copied into framesift's local cache (framesift/run_files.py; brought up to date by size and
modification time, so a second run fetches nothing), and a gs:// work directory is worked on in a local copy
that is uploaded when the command ends, also when it fails or is interrupted, so the checkpoints written so far
reach the bucket and a rerun resumes from them.
"""
from __future__ import annotations

import contextlib
import os
from typing import Iterator, Optional

from framesift import run_files


def local_input(uri: Optional[str]) -> Optional[str]:
    """A local path with the content of `uri` (a file or a directory); local paths pass through unchanged."""
    if not uri or not run_files.is_remote(uri):
        return uri
    return run_files.local_tree(uri) if run_files.is_dir(uri) else run_files.local_copy(uri)


@contextlib.contextmanager
def local_workdir(uri: str) -> Iterator[str]:
    """The work directory to hand the trainer: `uri` itself when local; for gs://, a local copy (with what the
    bucket already holds, so training resumes), uploaded back on the way out."""
    if not run_files.is_remote(uri):
        yield uri
        return
    local = run_files.local_tree(uri) if run_files.exists(uri) else run_files.cache_path(uri)
    os.makedirs(local, exist_ok=True)
    try:
        yield local
    finally:
        n = run_files.upload_tree(local, uri)
        print(f"uploaded {n} files of the work directory to {uri}", flush=True)


@contextlib.contextmanager
def local_output(uri: str) -> Iterator[str]:
    """A local file to write `uri` through: `uri` itself when local; for gs://, a file in the cache, uploaded once
    written (only if the command succeeded)."""
    if not run_files.is_remote(uri):
        yield uri
        return
    local = run_files.cache_path(uri)
    os.makedirs(os.path.dirname(local), exist_ok=True)
    yield local
    run_files.upload(local, uri)
