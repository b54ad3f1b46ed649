"""One planted file of the demo corpus, before it has a name on disk.

The builder collects every file as bytes plus its ground truth first and names them last (in a seeded shuffle), so
that file names carry no hint of the kind a curation run is supposed to discover. Notes that point at another file
("copy of ...") are therefore resolved only once every item has its path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# Every `kind` labels.csv may hold, per media type (the vocabulary evaluation code can import).
IMAGE_KINDS = (
    "clean", "exact_duplicate", "near_duplicate", "blurred", "tiny", "extreme_aspect", "dark", "flat",
    "truncated", "zero_byte", "not_media", "decompression_bomb",
)
VIDEO_KINDS = ("clean", "static_video", "hard_cuts", "too_short_clip", "truncated", "zero_byte", "not_media")
# Files no decoder should accept: they get no sidecar row.
BROKEN_KINDS = ("truncated", "zero_byte", "not_media", "decompression_bomb")

LABEL_COLUMNS = ("file", "media_type", "kind", "dup_group", "source", "expected_shots", "note")
SIDECAR_COLUMNS = ("file", "caption", "label")


@dataclass(eq=False)
class Item:
    """A file to write: its bytes, extension and everything labels.csv / sidecar.csv say about it.

    `original` links a duplicate to the clean item it was made from; the builder gives both the same dup_group
    and substitutes the original's path for `{original}` in `note`.
    """
    media_type: str                  # "image" or "video"
    kind: str
    ext: str                         # without the dot
    data: bytes
    source: str                      # e.g. "skimage:astronaut"
    caption: str = ""
    label: str = ""
    note: str = ""
    expected_shots: Optional[int] = None
    original: Optional["Item"] = None
    dup_group: str = ""
    path: str = ""                   # relative to OUT/media, set by the builder

    @property
    def broken(self) -> bool:
        return self.kind in BROKEN_KINDS

    def label_row(self) -> dict:
        note = self.note.replace("{original}", self.original.path) if self.original else self.note
        shots = "" if self.expected_shots is None else str(self.expected_shots)
        return {"file": self.path, "media_type": self.media_type, "kind": self.kind, "dup_group": self.dup_group,
                "source": self.source, "expected_shots": shots, "note": note}

    def sidecar_row(self) -> dict:
        return {"file": self.path, "caption": self.caption, "label": self.label}
