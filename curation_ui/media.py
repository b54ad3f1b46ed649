"""Media for the review UI, served only from under allowed roots: the run directory (thumbnails and previews, whose
manifest paths are relative to it) and, for full-size originals, the directories the operator names with
`--media-root`. Roots may be gs:// prefixes: their files are read through pyarrow's file system and cached locally
(framesift/run_files.py), so a page of thumbnails is fetched once. A manifest is data; a path in it that escapes its root (`../../etc/passwd`, an absolute path,
a symlink pointing outside) is refused, never opened.
"""
from __future__ import annotations

import io
import os
import posixpath
from typing import Optional
from urllib.parse import unquote, urlparse

from framesift import run_files
from framesift.media_types import IMAGE_TYPES as IMAGE_EXTENSION_TYPES
from framesift.media_types import VIDEO_TYPES as VIDEO_EXTENSION_TYPES

MAX_MEDIA_BYTES = 512 * 1024 * 1024
IMAGE_TYPES = {f".{ext}": mime for ext, mime in IMAGE_EXTENSION_TYPES.items()}
VIDEO_TYPES = {f".{ext}": mime for ext, mime in VIDEO_EXTENSION_TYPES.items()}


class MediaPathError(ValueError):
    """A manifest path that is not under the root it must be under."""


def resolve_under(root: str, path: str) -> str:
    """The real path of `path` (relative to root, or absolute) if it lies inside root; else MediaPathError.
    For a bucket root (gs://...), the normalised URI, which must lie under it."""
    if not path or "\x00" in path:
        raise MediaPathError(f"empty or malformed media path {path!r}")
    if run_files.is_remote(root):
        return _resolve_under_uri(root, path)
    if "://" in path:
        raise MediaPathError(f"media path {path!r} is a URL, not a file under {root}")
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, path))
    if os.path.commonpath([real_root, real]) != real_root:
        raise MediaPathError(f"media path {path!r} escapes {root}")
    return real


def _resolve_under_uri(root: str, path: str) -> str:
    # object stores have no symlinks: normalising the path is the whole check
    scheme, _, root_path = root.rstrip("/").partition("://")
    if "://" in path:
        other, _, rest = path.partition("://")
        if other != scheme:
            raise MediaPathError(f"media path {path!r} is not under {root}")
        full = posixpath.normpath("/" + rest)
    elif path.startswith("/"):
        raise MediaPathError(f"media path {path!r} is a local path, not an object under {root}")
    else:
        full = posixpath.normpath(posixpath.join("/" + root_path, path))
    if not full.startswith("/" + root_path + "/"):
        raise MediaPathError(f"media path {path!r} escapes {root}")
    return f"{scheme}://{full[1:]}"


def read_under(root: str, path: str, max_bytes: int = MAX_MEDIA_BYTES) -> bytes:
    with open(local_under(root, path, max_bytes), "rb") as f:
        return f.read()


def local_under(root: str, path: str, max_bytes: int = MAX_MEDIA_BYTES) -> str:
    """A local file with the content of `path` under `root`: the file itself, or for a bucket root its copy in the
    local cache (framesift/run_files.py). FileNotFoundError when there is none."""
    real = resolve_under(root, path)
    if run_files.is_remote(real):
        try:
            return run_files.local_copy(real, max_bytes)
        except ValueError as e:
            raise MediaPathError(str(e)) from None
    if not os.path.isfile(real):
        raise FileNotFoundError(f"media file not found: {path}")
    if os.path.getsize(real) > max_bytes:
        raise MediaPathError(f"media file {path!r} is larger than {max_bytes} bytes")
    return real


class MediaRoots:
    """The run directory plus any extra roots originals may be read from (local directories or gs:// prefixes)."""

    def __init__(self, run_dir: str, extra_roots: tuple[str, ...] = ()):
        self.run_dir = run_dir
        self.extra_roots = tuple(extra_roots)

    def run_local_file(self, rel_path: Optional[str]) -> Optional[str]:
        """A local file with a thumbnail's or preview's content (relative to the run dir); None when the manifest
        has none or it is missing."""
        if not rel_path:
            return None
        try:
            return local_under(self.run_dir, rel_path)
        except FileNotFoundError:
            return None

    def run_file(self, rel_path: Optional[str]) -> Optional[bytes]:
        """A thumbnail or preview (relative to the run dir); None when the manifest has none or it is missing."""
        path = self.run_local_file(rel_path)
        if path is None:
            return None
        with open(path, "rb") as f:
            return f.read()

    def prefetch(self, rel_paths: list[Optional[str]]) -> None:
        """Fetch a page of a bucket run's thumbnails into the local cache at once (no-op for a local run)."""
        if run_files.is_remote(self.run_dir):
            uris = []
            for rel in filter(None, rel_paths):
                try:
                    uris.append(resolve_under(self.run_dir, rel))
                except MediaPathError:
                    pass            # refused again, with the reason, when the card is drawn
            run_files.prefetch(uris, MAX_MEDIA_BYTES)

    def original_path(self, source_uri: str) -> str:
        """The local path of an original (or its cached copy, for one in a bucket), if it lies under the run dir or
        a --media-root; else MediaPathError."""
        parsed = urlparse(source_uri)
        if parsed.scheme == "file":
            path = unquote(parsed.path)
        elif parsed.scheme and len(parsed.scheme) > 1:
            path = source_uri
        else:
            path = source_uri
            if not os.path.isabs(path):
                raise MediaPathError(f"{source_uri} is not an absolute path")
        for root in (self.run_dir,) + self.extra_roots:
            if run_files.is_remote(root) != run_files.is_remote(path):
                continue
            try:
                real = resolve_under(root, path)
            except MediaPathError:
                continue
            if not run_files.is_remote(real):
                return real
            try:
                return local_under(root, path)
            except FileNotFoundError:
                raise MediaPathError(f"the original {source_uri} is not there any more") from None
        raise MediaPathError(f"{source_uri} is outside the run directory and every --media-root; start "
                             f"`framesift review` with --media-root DIR to show originals from DIR")


def mime_type(path: str) -> Optional[str]:
    ext = os.path.splitext(path)[1].lower()
    return IMAGE_TYPES.get(ext) or VIDEO_TYPES.get(ext)


def gif_from_webp(data: bytes) -> bytes:
    """An animated WebP preview as an animated GIF (st.image re-encodes any other format to a still JPEG)."""
    from PIL import Image, ImageSequence
    img = Image.open(io.BytesIO(data))
    frames = [f.convert("RGB") for f in ImageSequence.Iterator(img)]
    if len(frames) < 2:
        return data
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:],
                   duration=img.info.get("duration", 120), loop=0)
    return out.getvalue()
