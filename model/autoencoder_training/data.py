"""The approved set as training pictures: a picklable Grain source over (item, frame) records.

Images give one record each, clips `frames_per_clip` evenly spaced frames of their span. Decoding is done by a
`read_frame(uri, media_type, frame, max_side) -> uint8 (H, W, 3)` function handed in by the caller (the command
passes curation's own decoders, pipelines/media/frame_reader.py; model/ never imports the pipelines). A record
that fails to decode is logged with its error, counted, and skipped; it never stops training.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Callable, Optional

import grain
import numpy as np
from PIL import Image

from framesift.manifest_reader import read_manifest_file
from framesift.schemas.columns import Col

log = logging.getLogger(__name__)
ROW_COLUMNS = (Col.ITEM_ID, Col.SOURCE_URI, Col.MEDIA_TYPE, Col.START_FRAME, Col.END_FRAME)
FrameReader = Callable[[str, str, Optional[int], int], np.ndarray]


@dataclass(frozen=True)
class FrameRecord:
    item_id: str
    uri: str
    media_type: str                 # "image" | "clip"
    frame: Optional[int] = None     # presentation-time frame index for clips


def read_approved(path: str) -> list[dict]:
    """The rows of an approved set (framesift export's Parquet) or a manifest file, through the one manifest
    reader: its compatibility rule decides which versions are read."""
    try:
        table = read_manifest_file(path, list(ROW_COLUMNS))
    except ValueError as e:
        raise ValueError(f"{path}: not an approved set written by framesift export ({e})") from None
    return table.to_pylist()


def frame_records(rows: list[dict], frames_per_clip: int) -> list[FrameRecord]:
    records = []
    for row in rows:
        if row[Col.MEDIA_TYPE] == "clip":
            start, end = int(row[Col.START_FRAME]), int(row[Col.END_FRAME])
            picks = np.unique(np.linspace(start, end - 1, frames_per_clip).round().astype(int)) if end > start else []
            records += [FrameRecord(row[Col.ITEM_ID], row[Col.SOURCE_URI], "clip", int(f)) for f in picks]
        else:
            records.append(FrameRecord(row[Col.ITEM_ID], row[Col.SOURCE_URI], row[Col.MEDIA_TYPE]))
    return records


def split_items(rows: list[dict], eval_items: int) -> tuple[list[dict], list[dict]]:
    """(train rows, eval rows): eval = the items with the lowest sha1(item_id), at most a fifth of the set, so
    the split never changes between runs or restarts and a small set still trains on most of its items."""
    ids = sorted({r[Col.ITEM_ID] for r in rows}, key=lambda i: hashlib.sha1(i.encode()).hexdigest())
    held = set(ids[:min(eval_items, len(ids) // 5)])
    return [r for r in rows if r[Col.ITEM_ID] not in held], [r for r in rows if r[Col.ITEM_ID] in held]


def square_crop(rgb: np.ndarray, side: int) -> np.ndarray:
    """Scale the shorter side to `side` (bicubic, antialiased when shrinking), centre-crop a square."""
    h, w = rgb.shape[:2]
    scale = side / min(h, w)
    rh, rw = max(side, round(h * scale)), max(side, round(w * scale))
    im = Image.fromarray(rgb)
    if (rh, rw) != (h, w):
        im = im.resize((rw, rh), Image.BICUBIC)
    top, left = (rh - side) // 2, (rw - side) // 2
    return np.asarray(im.crop((left, top, left + side, top + side)))


class FrameSource:
    """Grain data source: record i -> {"image": uint8 (S, S, 3), "ok": bool, "index": int}."""

    def __init__(self, records: list[FrameRecord], read_frame: FrameReader, image_size: int):
        self.records, self.read_frame, self.image_size = list(records), read_frame, image_size

    def __len__(self):
        return len(self.records)

    def __getitem__(self, index):
        record = self.records[index]
        try:
            # decode at twice the crop: JPEGs scale down in the DCT, and the resize still has pixels to average
            rgb = self.read_frame(record.uri, record.media_type, record.frame, 2 * self.image_size)
            return {"image": square_crop(rgb, self.image_size), "ok": True, "index": index}
        except Exception as e:     # noqa: BLE001 - any decoder failure skips this record, with its reason
            log.warning("skipping %s (%s frame %s): %s: %s", record.item_id, record.uri, record.frame,
                        type(e).__name__, e)
            return {"image": np.zeros((self.image_size, self.image_size, 3), np.uint8), "ok": False, "index": index}


def training_batches(source: FrameSource, batch_size: int, seed: int, threads: int = 2):
    """Endless shuffled batches {"image": (B, S, S, 3) uint8, ...}; the iterator checkpoints with
    grain.checkpoint.CheckpointSave, so a resumed run sees the batches an uninterrupted one would have."""
    if len(source) == 0:
        raise ValueError("no training pictures: the approved set is empty (or all of it is held out for eval)")
    ds = grain.MapDataset.source(source).seed(seed).shuffle().repeat(None)
    ds = ds.to_iter_dataset(grain.ReadOptions(num_threads=max(threads, 1), prefetch_buffer_size=2 * batch_size))
    return iter(ds.filter(lambda r: r["ok"]).batch(batch_size, drop_remainder=True))


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float32 in [-1, 1], the autoencoder contract's range."""
    return images.astype(np.float32) / 127.5 - 1.0


def eval_images(source: FrameSource) -> np.ndarray:
    """All decodable eval pictures as one uint8 array (N, S, S, 3), in record order."""
    images = [r["image"] for r in (source[i] for i in range(len(source))) if r["ok"]]
    return np.stack(images) if images else np.zeros((0, source.image_size, source.image_size, 3), np.uint8)
