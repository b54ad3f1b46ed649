"""Exact-duplicate keys of a manifest record (a dict from ManifestRow.to_record(), or an index row).

Images: the hash of the decoded full-resolution pixels when the job computed it (so a PNG re-saved as a lossless
WebP is still an exact duplicate), else the hash of the file's bytes. Clips: the file's bytes plus the frame span, so
the same shot cut from two copies of a video matches, while different clips of one video do not.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from framesift.schemas.columns import Col


def exact_key(record: Mapping[str, Any]) -> Optional[str]:
    """The one key that identifies the record's content exactly, or None when it has no content hash."""
    if record.get(Col.MEDIA_TYPE) == "clip":
        if not record.get(Col.SHA256):
            return None
        return f"clip:{record[Col.SHA256]}:{record.get(Col.START_FRAME)}-{record.get(Col.END_FRAME)}"
    if record.get(Col.PIXEL_SHA256):
        return f"pixels:{record[Col.PIXEL_SHA256]}"
    if record.get(Col.SHA256):
        return f"bytes:{record[Col.SHA256]}"
    return None


def exact_keys(record: Mapping[str, Any]) -> list[str]:
    """Every key that proves an exact duplicate. Identical bytes imply identical pixels, but a record whose pixel
    hash was not computed (pixel_hash off, or an older index) can only meet another through its bytes hash, so an
    image gets both; grouping joins records that share any one of them."""
    keys = []
    primary = exact_key(record)
    if primary:
        keys.append(primary)
    if record.get(Col.MEDIA_TYPE) != "clip" and record.get(Col.PIXEL_SHA256) and record.get(Col.SHA256):
        keys.append(f"bytes:{record[Col.SHA256]}")
    return keys
