"""The manifest's column names and a rejection's field names, each spelled once. Plain strings, no imports: the
decoders that fill a row's probe fields load this without loading pyarrow (framesift/schemas/manifest.py builds the
row and its schema from these names)."""


class Col:
    """The manifest's column names, each spelled once: code outside framesift/schemas selects columns and reads
    manifest records by these names, never by quoted strings (tests/test_architecture.py checks it). They are the
    `ManifestRow` field names; other records that carry the same item (embeddings, review decisions, the UI index)
    join on `Col.ITEM_ID` too."""
    ITEM_ID = "item_id"
    SOURCE_URI = "source_uri"
    MEDIA_TYPE = "media_type"
    CLIP_INDEX = "clip_index"
    START_FRAME = "start_frame"
    END_FRAME = "end_frame"
    START_S = "start_s"
    END_S = "end_s"
    WIDTH = "width"
    HEIGHT = "height"
    MODE = "mode"
    FORMAT = "format"
    EXIF_ORIENTATION = "exif_orientation"
    BYTES = "bytes"
    SHA256 = "sha256"
    PIXEL_SHA256 = "pixel_sha256"
    PHASH = "phash"
    PHASH_CROPS = "phash_crops"
    PHASH_VIEWS = "phash_views"
    PHASH_REGIONS = "phash_regions"
    SPECTRAL_PROFILE = "spectral_profile"
    FPS = "fps"
    FRAME_COUNT = "frame_count"
    DURATION_S = "duration_s"
    CODEC = "codec"
    HAS_AUDIO = "has_audio"
    SCORES = "scores"
    MODELS = "models"
    KEEP = "keep"
    REJECT_REASONS = "reject_reasons"
    DUPLICATE_GROUP = "duplicate_group"
    DUPLICATE_OF = "duplicate_of"
    THUMBNAIL_PATH = "thumbnail_path"
    PREVIEW_PATH = "preview_path"
    CAPTION = "caption"
    METADATA = "metadata"
    CONFIG_HASH = "config_hash"


class RejectionField:
    """The fields of a `Rejection` (the structs in `Col.REJECT_REASONS`), for code that reads them as records."""
    STAGE = "stage"
    NAME = "name"
    SCORE_KEY = "score_key"
    SCORE = "score"
    OP = "op"
    THRESHOLD = "threshold"
    REASON = "reason"
