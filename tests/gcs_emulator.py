"""A local GCS emulator (gcp-storage-emulator, a dev dependency) for gs:// tests: started on a free loopback port by
the test session that first needs it, stopped when the session ends; in memory, so nothing outlives it."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_emulator():
    """Yields the environment a process needs to talk to the emulator (STORAGE_EMULATOR_HOST, no credential
    look-ups); skips the test when the emulator is not installed."""
    exe = shutil.which("gcp-storage-emulator") or os.path.join(os.path.dirname(sys.executable),
                                                                "gcp-storage-emulator")
    if not os.path.exists(exe):
        pytest.skip("gcp-storage-emulator is not installed (pip install -e '.[dev]')")
    port = _free_port()
    proc = subprocess.Popen([exe, "start", "--host=127.0.0.1", f"--port={port}", "--in-memory"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"gcp-storage-emulator did not start on port {port}") from None
                time.sleep(0.2)
        yield {"STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}", "NO_GCE_CHECK": "True",
               "GCE_METADATA_HOST": "127.0.0.1:9", "PYTHONPATH": ROOT}
    finally:
        proc.kill()
        proc.wait(timeout=30)


def create_bucket(env: dict, name: str) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    with emulator_env(env):
        storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket(name)


def upload_tree(env: dict, local_dir: str, uri: str) -> int:
    """Every file under local_dir to uri/<relative path> (through framesift's file-system layer); -> file count."""
    from framesift import run_files
    with emulator_env(env):
        return run_files.upload_tree(local_dir, uri)


@contextlib.contextmanager
def emulator_env(env: dict):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
