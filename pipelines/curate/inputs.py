"""The curate job's inputs, resolved and checked before the job runs: --input paths and globs (local or gs://) to
the patterns Ingest lists, what they match, symlinks Beam's listing would drop, the directory every input lies
below (item ids name inputs relative to it), and earlier framesift runs inside the inputs, which are never media.
Everything goes through Beam's FileSystems, so it reads a bucket as it reads a disk."""
from __future__ import annotations

import glob
import logging
import os
import re
import warnings
from typing import Optional

from apache_beam.io.filesystems import FileSystems

from pipelines.curate import run_dir as rd


class InputError(ValueError):
    """An --input matches nothing or an --input-list cannot be read."""


def resolve_patterns(inputs: list[str]) -> list[str]:
    """Directories become recursive globs; local paths become absolute; each must match at least one file. A local
    file or directory that exists is taken literally: "Summer [2019]" is a name, not a character class."""
    patterns = []
    for raw in inputs:
        pattern = raw
        if "://" not in raw:
            pattern = os.path.abspath(raw)
            if os.path.exists(pattern):
                pattern = glob.escape(pattern)
            if os.path.isdir(os.path.abspath(raw)):
                pattern = os.path.join(pattern, "**")
        elif raw.endswith("/"):
            pattern = raw + "**"
        try:
            found = _match(pattern, limit=1)
        except Exception as e:  # a missing bucket, a bad scheme
            raise InputError(f"--input {raw}: {e}") from None
        if not found:
            raise InputError(f"--input {raw}: matches no files")
        patterns.append(pattern)
    return patterns


def count_inputs(patterns: list[str], literal: list[str], exclude: tuple[str, ...] = ()) -> int:
    """What Ingest will see, counted before the job runs."""
    return len([u for u in matched_uris(patterns, literal) if not u.startswith(exclude)])


def matched_uris(patterns: list[str], literal: list[str]) -> set[str]:
    uris = set(literal)
    for pattern in patterns:
        uris.update(m.path for m in _match(pattern))
    return uris


def _match(pattern: str, limit: Optional[int] = None) -> list:
    with warnings.catch_warnings():
        # Beam compiles glob.escape's "[[]" into the regex "[[]": correct, but `re` warns of a nested set
        warnings.simplefilter("ignore", FutureWarning)
        return FileSystems.match([pattern], limits=None if limit is None else [limit])[0].metadata_list


_GLOB_CHARS = "*?["
_ESCAPED = re.compile(r"\[([*?[])\]")     # glob.escape's "[*]", "[?]", "[[]": literal characters


def _fixed_dir(pattern: str) -> tuple[list[str], bool]:
    """-> (the directory before the pattern's first wildcard, as literal path parts (a plain file: its directory);
    whether the pattern has a wildcard)"""
    parts = pattern.split("/")
    fixed = next((i for i, part in enumerate(parts) if any(c in _ESCAPED.sub("", part) for c in _GLOB_CHARS)), None)
    return [_ESCAPED.sub(r"\1", part) for part in (parts[:fixed] if fixed is not None else parts[:-1])], \
        fixed is not None


def broken_links(patterns: list[str]) -> list[str]:
    """Symlinks matched by local wildcard patterns whose target is missing or loops: Beam's listing drops them
    without a word, so they are passed on as listed inputs and each ends as a dead letter (FileNotFoundError, too
    many levels of symbolic links) instead of vanishing. Directory links are not followed, as in Beam's listing; a
    directory that cannot be listed (no permission) is named in a warning, since Beam skips it silently too."""
    from apache_beam.io.filesystem import FileSystem
    found = []
    for pattern in patterns:
        parts, wildcard = _fixed_dir(pattern)
        if "://" in pattern or not wildcard:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)      # as in _match
            wanted = re.compile(FileSystem.translate_pattern(pattern))
        pending = ["/".join(parts) or "/"]
        while pending:
            directory = pending.pop()
            try:
                entries = list(os.scandir(directory))
            except OSError as e:
                # Beam's listing (os.walk) skips it without a word: say so, since its files are not curated
                logging.getLogger(__name__).warning("cannot list %s (%s): its files are not curated", directory,
                                                    e.strerror or e)
                continue
            for entry in entries:       # d_type answers is_symlink/is_dir: no stat per file
                if entry.is_symlink():
                    if not os.path.exists(entry.path) and wanted.match(entry.path):
                        found.append(entry.path)
                elif entry.is_dir():
                    pending.append(entry.path)
    return found


def input_root(patterns: list[str], literal: list[str]) -> str:
    """The deepest directory holding every input (the fixed part of each pattern, each listed file's directory):
    item ids name an input by its path below it (decide.input_key), so moving the corpus or the run directory
    changes no id and no duplicate tie-break, and two inputs never share a key. "" when the inputs share no
    directory (local and gs:// together)."""
    dirs = [_fixed_dir(pattern)[0] for pattern in patterns]
    dirs.extend(uri.split("/")[:-1] for uri in literal)
    if not dirs:
        return ""
    common = dirs[0]
    for parts in dirs[1:]:
        n = 0
        while n < min(len(common), len(parts)) and common[n] == parts[n]:
            n += 1
        common = common[:n]
    root = "/".join(common)
    return "" if not root.strip("/") or root.endswith(":/") else root     # "/" or a bare scheme: no shared place


def framesift_run_dirs(uris: set[str]) -> tuple[str, ...]:
    """Earlier framesift runs lying inside the inputs (a manifest shard next to a config.yaml): their previews and
    outputs are not raw media and must never be curated as such."""
    roots = set()
    for uri in uris:
        head, sep, _ = uri.rpartition(f"/{rd.MANIFEST_DIR}/")
        if sep and uri.endswith(".parquet") and f"{head}/{rd.CONFIG_FILE}" in uris:
            roots.add(head + "/")
    return tuple(sorted(roots))
