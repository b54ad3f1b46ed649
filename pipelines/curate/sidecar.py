"""Sidecar metadata (caption, label, any field) from CSV, JSONL or Parquet, keyed by path.

Keys may be absolute URIs or paths relative to anything: an item matches the longest sidecar key that is a
path-suffix of its URI, so `images/a.jpg` in a sidecar finds `gs://bucket/raw/images/a.jpg`.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Iterator, Optional

KEY_COLUMNS = ("uri", "path", "file", "filename")


def _normalise(key: str) -> str:
    if key.startswith("/"):
        return key
    parts = key.replace("\\", "/").split("/")
    while len(parts) > 1 and parts[0] in (".", "..", ""):   # leading ./ and ../ only: ".hidden.jpg" keeps its dot
        parts = parts[1:]
    return "/".join(parts)


def read_sidecar(path: str, data: bytes) -> Iterator[tuple[str, dict[str, str]]]:
    lower = path.lower()
    if lower.endswith(".parquet"):
        import pyarrow.parquet as pq
        rows = pq.read_table(io.BytesIO(data)).to_pylist()
    elif lower.endswith((".jsonl", ".json")):
        rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    elif lower.endswith(".csv"):
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    else:
        raise ValueError(f"sidecar {path}: unsupported format (use .csv, .jsonl or .parquet)")
    for n, row in enumerate(rows):
        key_col = next((c for c in KEY_COLUMNS if row.get(c)), None)
        if key_col is None:
            raise ValueError(f"sidecar {path} row {n + 1}: no key column (one of {', '.join(KEY_COLUMNS)})")
        fields = {k: str(v) for k, v in row.items() if k != key_col and v not in (None, "")}
        yield _normalise(str(row[key_col])), fields


def lookup(sidecar: dict[str, dict[str, str]], uri: str) -> Optional[dict[str, str]]:
    if not sidecar:
        return None
    if uri in sidecar:
        return sidecar[uri]
    parts = uri.replace("\\", "/").split("/")
    for i in range(1, len(parts)):
        hit = sidecar.get("/".join(parts[i:]))
        if hit is not None:
            return hit
    return None
