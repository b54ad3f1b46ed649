"""Reading and writing the files of a run (and any other path a command takes) on local disk or in a bucket
(gs://), through pyarrow's file-system layer: `pyarrow.fs.GcsFileSystem` for gs://, `FileSystem.from_uri` for any
other scheme pyarrow knows, plain os calls for local paths. Beam jobs use Beam's FileSystems instead
(pipelines/run_files.py); everything outside a Beam job (review UI, export, the model commands) comes through here.

Credentials are google-cloud-cpp's defaults (what `gcloud auth application-default login` sets up); with
STORAGE_EMULATOR_HOST set (a local emulator) access is anonymous over that endpoint, as google-cloud-storage does.

Remote files the UI shows again and again (thumbnails, previews, originals) are copied once into a local cache,
keyed by their full URI (run + path): CACHE_ENV, else $XDG_CACHE_HOME/framesift, else ~/.cache/framesift.
A remote run's local state (the review decision store) lives under STATE_ENV, else $XDG_DATA_HOME/framesift,
else ~/.local/share/framesift, in a file named after the run.
"""
from __future__ import annotations

import datetime
import functools
import hashlib
import os
import posixpath
import re
import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Iterable, Optional
from urllib.parse import urlparse

import pyarrow.fs as pafs

EMULATOR_ENV = "STORAGE_EMULATOR_HOST"
CACHE_ENV = "FRAMESIFT_CACHE_DIR"
STATE_ENV = "FRAMESIFT_STATE_DIR"


def is_remote(uri: str) -> bool:
    """A URI with a scheme other than file:// (gs://bucket/..., s3://...); local paths and file:// are not."""
    scheme = urlparse(uri).scheme
    return len(scheme) > 1 and scheme != "file"


def _local(uri: str) -> str:
    return urlparse(uri).path if uri.startswith("file://") else uri


@functools.lru_cache(maxsize=None)
def _gcs(emulator: Optional[str]) -> pafs.FileSystem:
    # one bounded retry window: a wrong endpoint or a missing bucket should fail in seconds, not minutes
    retry = datetime.timedelta(seconds=20)
    if emulator:
        endpoint = urlparse(emulator if "://" in emulator else f"http://{emulator}")
        return pafs.GcsFileSystem(anonymous=True, scheme=endpoint.scheme, endpoint_override=endpoint.netloc,
                                  retry_time_limit=retry)
    return pafs.GcsFileSystem(retry_time_limit=retry)


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """(file system, path inside it) for a local path or a URI."""
    if not is_remote(uri):
        return pafs.LocalFileSystem(), os.path.abspath(_local(uri))
    if uri.startswith("gs://"):
        return _gcs(os.environ.get(EMULATOR_ENV) or None), uri[len("gs://"):].rstrip("/")
    return pafs.FileSystem.from_uri(uri)


def join(base: str, *parts: str) -> str:
    return posixpath.join(base, *parts) if is_remote(base) else os.path.join(base, *parts)


def relative(path: str, base: str) -> str:
    """`path` relative to `base` ('/'-separated for URIs)."""
    if is_remote(base):
        return posixpath.relpath(path, base.rstrip("/")) if path.startswith(base.rstrip("/") + "/") else path
    return os.path.relpath(path, base)


def _info(uri: str) -> pafs.FileInfo:
    fs, path = filesystem(uri)
    return fs.get_file_info(path)


def exists(uri: str) -> bool:
    return _info(uri).type != pafs.FileType.NotFound


def is_dir(uri: str) -> bool:
    return _info(uri).type == pafs.FileType.Directory


def stamp(uri: str) -> Optional[tuple[int, int]]:
    """(size, mtime in ns) of a file, None when there is none: what tells a changed file from the same one."""
    info = _info(uri)
    if info.type != pafs.FileType.File:
        return None
    return info.size, info.mtime_ns or 0


def list_stamps(folder: str, suffix: str = "") -> dict[str, tuple[int, int]]:
    """{full path/URI: (size, mtime ns)} of the files directly inside `folder` whose names end with `suffix`, in
    name order, from one listing; FileNotFoundError when there is no such folder."""
    fs, path = filesystem(folder)
    if fs.get_file_info(path).type != pafs.FileType.Directory:
        raise FileNotFoundError(folder)
    infos = fs.get_file_info(pafs.FileSelector(path, recursive=False))
    files = sorted((i for i in infos if i.type == pafs.FileType.File and i.base_name.endswith(suffix)),
                   key=lambda i: i.base_name)
    return {join(folder, i.base_name): (i.size, i.mtime_ns or 0) for i in files}


def list_files(folder: str, suffix: str = "") -> list[str]:
    """The files directly inside `folder` whose names end with `suffix`, in name order (see list_stamps)."""
    return list(list_stamps(folder, suffix))


def open_input(uri: str) -> IO[bytes]:
    """A random-access binary file (what pyarrow.parquet reads footers and row groups from)."""
    fs, path = filesystem(uri)
    return fs.open_input_file(path)


def read_bytes(uri: str) -> bytes:
    fs, path = filesystem(uri)
    with fs.open_input_stream(path) as f:
        return f.read()


def write_bytes(uri: str, data: bytes) -> None:
    """Whole or not at all: a local file through temp file + rename; an object store publishes an object only when
    its upload completes."""
    if not is_remote(uri):
        path = _local(uri)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return
    fs, path = filesystem(uri)
    with fs.open_output_stream(path) as f:
        f.write(data)


def upload(local_path: str, uri: str) -> None:
    """Copy a finished local file to `uri` (local or remote)."""
    if not is_remote(uri):
        os.makedirs(os.path.dirname(os.path.abspath(_local(uri))), exist_ok=True)
        shutil.copyfile(local_path, _local(uri))
        return
    fs, path = filesystem(uri)
    pafs.copy_files(local_path, path, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=fs)


def _home_dir(env: str, xdg: str, fallback: str) -> str:
    return os.environ.get(env) or os.path.join(os.environ.get(xdg) or os.path.expanduser(fallback), "framesift")


def cache_dir() -> str:
    return _home_dir(CACHE_ENV, "XDG_CACHE_HOME", "~/.cache")


def state_dir() -> str:
    return _home_dir(STATE_ENV, "XDG_DATA_HOME", "~/.local/share")


def run_name(uri: str) -> str:
    """A file name that says which remote run it belongs to: 'bucket-runs-r1-<hash of the URI>'."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", uri.split("://", 1)[-1]).strip("-")[:80]
    return f"{readable}-{hashlib.sha256(uri.rstrip('/').encode()).hexdigest()[:8]}"


def cache_path(uri: str) -> str:
    """Where the local copy of a remote file lives: the cache, then scheme/bucket/object path (keyed by run+path)."""
    scheme, rest = uri.split("://", 1)
    parts = [p for p in rest.split("/") if p not in ("", ".", "..")]
    return os.path.join(cache_dir(), scheme, *parts)


def local_copy(uri: str, max_bytes: Optional[int] = None) -> str:
    """A local path with the content of `uri`: the path itself when local, else its cached copy (downloaded on first
    use, written by rename so concurrent readers never see half a file). FileNotFoundError when there is none;
    ValueError when it is larger than `max_bytes`."""
    if not is_remote(uri):
        return _local(uri)
    target = cache_path(uri)
    if os.path.exists(target):
        return target
    fs, path = filesystem(uri)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".part-")
    try:
        # one request: a missing object fails the open, an oversized one is stopped one chunk past the limit
        with os.fdopen(fd, "wb") as out, fs.open_input_stream(path) as src:
            copied = 0
            while chunk := src.read(1 << 20):
                copied += len(chunk)
                if max_bytes is not None and copied > max_bytes:
                    raise ValueError(f"{uri} is larger than {max_bytes} bytes")
                out.write(chunk)
        os.replace(tmp, target)
    except OSError as e:
        if isinstance(e, FileNotFoundError) or "NOT_FOUND" in str(e):
            raise FileNotFoundError(f"no such file: {uri}") from None
        raise
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


def prefetch(uris: Iterable[str], max_bytes: Optional[int] = None, workers: int = 4) -> None:
    """Copy the remote ones among `uris` into the cache, a few at a time (a page of 48 thumbnails is 12 round trips
    deep instead of 48; more threads bought nothing against the emulator, whose server queues connections);
    missing or refused files are left for the caller to report."""
    todo = [u for u in dict.fromkeys(uris) if u and is_remote(u) and not os.path.exists(cache_path(u))]
    if not todo:
        return

    def fetch(uri: str) -> None:
        try:
            local_copy(uri, max_bytes)
        except (OSError, ValueError):
            pass

    with ThreadPoolExecutor(min(workers, len(todo))) as pool:
        list(pool.map(fetch, todo))


def local_tree(uri: str, workers: int = 16) -> str:
    """A local directory with the content of the directory `uri`: the directory itself when local, else its copy in
    the cache, brought up to date from one recursive listing (a file whose size or modification time differs from
    the bucket's is fetched again; files are fetched in parallel). FileNotFoundError when `uri` holds no files."""
    if not is_remote(uri):
        return _local(uri)
    fs, root = filesystem(uri)
    infos = fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    files = [i for i in infos if i.type == pafs.FileType.File]
    if not files:
        raise FileNotFoundError(f"no files under {uri}")
    target = cache_path(uri)

    def fetch(info: pafs.FileInfo) -> None:
        local = os.path.join(target, *info.path[len(root) + 1:].split("/"))
        mtime = info.mtime_ns or 0
        if os.path.exists(local) and os.path.getsize(local) == info.size and os.stat(local).st_mtime_ns == mtime:
            return
        os.makedirs(os.path.dirname(local), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(local), prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out, fs.open_input_stream(info.path) as src:
                shutil.copyfileobj(src, out, 1 << 20)
            os.utime(tmp, ns=(mtime, mtime))        # the bucket's time: what tells a changed file next time
            os.replace(tmp, local)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    with ThreadPoolExecutor(min(workers, len(files))) as pool:
        list(pool.map(fetch, files))
    return target


def upload_tree(local_dir: str, uri: str) -> int:
    """Every file under `local_dir` to `uri`/<relative path> (local or remote); returns how many."""
    n = 0
    for dirpath, _, names in os.walk(local_dir):
        for name in names:
            path = os.path.join(dirpath, name)
            upload(path, join(uri, *os.path.relpath(path, local_dir).split(os.sep)))
            n += 1
    return n
