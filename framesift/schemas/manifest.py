"""The manifest row: one curated item (an image, or one clip of a video) and every decision about it.

Defined once here; the curate job writes it, `rethreshold`, the review UI, export and the encoder read it, all
through framesift/manifest_reader.py. The pyarrow schema carries its version in the schema metadata; the reader's
one compatibility rule (see there) decides what an older or newer version means.

Versions: 1 -> 2 added `duplicate_of` (a dedupe rejection used to carry the representative in its score_key as
"duplicate_of:<item_id>", with a meaningless op).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

import pyarrow as pa

from framesift.schemas.columns import Col, RejectionField

MANIFEST_VERSION = 2
VERSION_KEY = b"framesift.manifest.version"
MEDIA_TYPES = ("image", "clip")




@dataclass
class Rejection:
    """Why an item was rejected: which stage and check, its score and the threshold it failed."""
    stage: str                      # framesift.vocabulary STAGE_*: "filter", "score_models", "dedupe"
    name: str                       # filter name, e.g. "sharpness"
    score_key: Optional[str]        # the score that failed, e.g. "sharpness"; None when no score was judged
    score: Optional[float]
    op: Optional[str]               # "min" (score must be >= threshold) or "max" (score must be <= threshold)
    threshold: Optional[float]
    reason: str                     # short code, e.g. "too_blurry" (a filter's check, or framesift.vocabulary)

    def describe(self) -> str:
        if self.score is None or self.threshold is None:
            return f"{self.name}: {self.reason}"
        sign = "<" if self.op == "min" else ">"
        return f"{self.name}: {self.reason} ({self.score_key} {self.score:.4g} {sign} {self.op} {self.threshold:.4g})"


REJECTION_TYPE_FIELDS = [
    (RejectionField.STAGE, pa.string()), (RejectionField.NAME, pa.string()), (RejectionField.SCORE_KEY, pa.string()),
    (RejectionField.SCORE, pa.float64()), (RejectionField.OP, pa.string()), (RejectionField.THRESHOLD, pa.float64()),
    (RejectionField.REASON, pa.string()),
]
REJECTION_TYPE = pa.struct(REJECTION_TYPE_FIELDS)


@dataclass
class ManifestRow:
    item_id: str
    source_uri: str
    media_type: str                 # "image" or "clip"
    # clip span (None for images); end is exclusive
    clip_index: Optional[int] = None
    start_frame: Optional[int] = None
    end_frame: Optional[int] = None
    start_s: Optional[float] = None
    end_s: Optional[float] = None
    # probe metadata (width/height after EXIF orientation is applied)
    width: Optional[int] = None
    height: Optional[int] = None
    mode: Optional[str] = None
    format: Optional[str] = None
    exif_orientation: Optional[int] = None
    bytes: Optional[int] = None
    sha256: Optional[str] = None            # of the file's bytes
    pixel_sha256: Optional[str] = None      # of the decoded, oriented full-resolution RGB pixels (images)
    phash: Optional[str] = None             # 64-bit perceptual hash (DCT pHash) as 16 hex digits; clips: keyframe
    phash_crops: list[str] = field(default_factory=list)   # pHashes of centre crops: catches cropped copies
    # pHashes of the mirror image and of the picture with uniform borders trimmed: flipped and letterboxed copies
    phash_views: list[str] = field(default_factory=list)
    # pHashes of sub-regions (bands, corner and centre crops, mirrored too): candidates only, each candidate pair is
    # checked geometrically before it counts (pipelines/dedupe/verify.py)
    phash_regions: list[str] = field(default_factory=list)
    # radially averaged luma power spectrum, 32 linear bins DC..Nyquist summing to 1 (pipelines/media/spectrum.py)
    spectral_profile: Optional[list[float]] = None
    fps: Optional[float] = None
    frame_count: Optional[int] = None
    duration_s: Optional[float] = None
    codec: Optional[str] = None
    has_audio: Optional[bool] = None
    # decisions
    scores: dict[str, float] = field(default_factory=dict)
    # which model produced the model-based scores, e.g. {"clip": "ViT-B-32/laion2b_s34b_b79k"}; "untrained" marks
    # random weights (tests, offline demo) so such scores are never mistaken for real ones
    models: dict[str, str] = field(default_factory=dict)
    keep: bool = True
    reject_reasons: list[Rejection] = field(default_factory=list)
    duplicate_group: Optional[str] = None
    duplicate_of: Optional[str] = None      # the group's representative, on the members dedupe rejected
    thumbnail_path: Optional[str] = None    # relative to the run dir
    preview_path: Optional[str] = None      # animated preview for clips, relative to the run dir
    caption: Optional[str] = None
    metadata: dict[str, str] = field(default_factory=dict)   # sidecar fields, as strings
    config_hash: str = ""

    def to_record(self) -> dict[str, Any]:
        """The dict pyarrow / Beam's WriteToParquet take; maps become key/value lists."""
        rec = dataclasses.asdict(self)
        rec[Col.SCORES] = sorted(self.scores.items())
        rec[Col.MODELS] = sorted(self.models.items())
        rec[Col.METADATA] = sorted(self.metadata.items())
        return rec

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> "ManifestRow":
        rec = dict(rec)
        for col in (Col.SCORES, Col.MODELS, Col.METADATA):
            rec[col] = dict(rec.get(col) or [])
        rec[Col.REJECT_REASONS] = [Rejection(**r) for r in rec.get(Col.REJECT_REASONS) or []]
        return cls(**rec)


_ARROW_TYPES = {
    Col.ITEM_ID: pa.string(), Col.SOURCE_URI: pa.string(), Col.MEDIA_TYPE: pa.string(),
    Col.CLIP_INDEX: pa.int32(), Col.START_FRAME: pa.int64(), Col.END_FRAME: pa.int64(),
    Col.START_S: pa.float64(), Col.END_S: pa.float64(),
    Col.WIDTH: pa.int32(), Col.HEIGHT: pa.int32(), Col.MODE: pa.string(), Col.FORMAT: pa.string(),
    Col.EXIF_ORIENTATION: pa.int32(), Col.BYTES: pa.int64(), Col.SHA256: pa.string(),
    Col.PIXEL_SHA256: pa.string(), Col.PHASH: pa.string(), Col.PHASH_CROPS: pa.list_(pa.string()),
    Col.PHASH_VIEWS: pa.list_(pa.string()), Col.PHASH_REGIONS: pa.list_(pa.string()),
    Col.SPECTRAL_PROFILE: pa.list_(pa.float32()),
    Col.FPS: pa.float64(), Col.FRAME_COUNT: pa.int64(), Col.DURATION_S: pa.float64(), Col.CODEC: pa.string(),
    Col.HAS_AUDIO: pa.bool_(),
    Col.SCORES: pa.map_(pa.string(), pa.float64()), Col.MODELS: pa.map_(pa.string(), pa.string()),
    Col.KEEP: pa.bool_(),
    Col.REJECT_REASONS: pa.list_(REJECTION_TYPE), Col.DUPLICATE_GROUP: pa.string(), Col.DUPLICATE_OF: pa.string(),
    Col.THUMBNAIL_PATH: pa.string(), Col.PREVIEW_PATH: pa.string(), Col.CAPTION: pa.string(),
    Col.METADATA: pa.map_(pa.string(), pa.string()), Col.CONFIG_HASH: pa.string(),
}
assert list(_ARROW_TYPES) == [f.name for f in dataclasses.fields(ManifestRow)], "schema and row out of sync"
assert sorted(_ARROW_TYPES) == sorted(v for k, v in vars(Col).items() if k.isupper()), "Col and row out of sync"
assert [n for n, _ in REJECTION_TYPE_FIELDS] == [f.name for f in dataclasses.fields(Rejection)]

_NOT_NULL = {Col.ITEM_ID, Col.SOURCE_URI, Col.MEDIA_TYPE, Col.KEEP, Col.CONFIG_HASH}
MANIFEST_SCHEMA = pa.schema(
    [pa.field(name, tp, nullable=name not in _NOT_NULL) for name, tp in _ARROW_TYPES.items()],
    metadata={VERSION_KEY.decode(): str(MANIFEST_VERSION)},
)
REQUIRED_COLUMNS = tuple(f.name for f in MANIFEST_SCHEMA if not f.nullable)


def rows_to_table(rows: list[ManifestRow]) -> pa.Table:
    return pa.Table.from_pylist([r.to_record() for r in rows], schema=MANIFEST_SCHEMA)


def table_to_rows(table: pa.Table) -> list[ManifestRow]:
    """Rows of a manifest table as the reader returns it (framesift/manifest_reader.py: every current column)."""
    missing = [n for n in MANIFEST_SCHEMA.names if n not in table.column_names]
    if missing:
        raise ValueError(f"manifest table lacks columns {missing}: read it through framesift.manifest_reader")
    return [ManifestRow.from_record(r) for r in table.select(MANIFEST_SCHEMA.names).to_pylist()]
