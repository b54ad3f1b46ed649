"""The latent example: one encoded training example as stored in ArrayRecord shards.

The encoder job writes `encode_latent_example(...)`, the Grain data source reads `decode_latent_example(bytes)`;
neither retypes field names. Layout (little-endian): b"FSLX", u8 version, u32 header length, a JSON header that
lists the scalar fields and each array's dtype/shape/offset, then the raw array bytes (8-byte aligned) — decodable
without TensorFlow and zero-copy into numpy.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

MAGIC = b"FSLX"
LATENT_CODEC_VERSION = 1
_ARRAY_FIELDS = ("latent", "latent_logvar", "embedding")
_DTYPES = {"float16", "float32", "bfloat16", "int32", "int64", "uint8"}


@dataclass
class LatentExample:
    item_id: str
    latent: np.ndarray                          # (T, H, W, C) for clips, (H, W, C) for images; scaled latents
    latent_logvar: Optional[np.ndarray] = None  # optional posterior log-variance, to resample during training
    embedding: Optional[np.ndarray] = None      # conditioning embedding (e.g. open_clip), (D,)
    caption: Optional[str] = None
    label: Optional[int] = None
    source_uri: str = ""
    scaling_factor: float = 1.0
    extra: dict = field(default_factory=dict)   # JSON-serialisable fields

    def __eq__(self, other):
        if not isinstance(other, LatentExample):
            return NotImplemented
        def same(a, b):
            if a is None or b is None:
                return a is None and b is None
            return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
        return (all(same(getattr(self, f), getattr(other, f)) for f in _ARRAY_FIELDS) and
                (self.item_id, self.caption, self.label, self.source_uri, self.scaling_factor, self.extra) ==
                (other.item_id, other.caption, other.label, other.source_uri, other.scaling_factor, other.extra))


def _dtype_name(arr: np.ndarray) -> str:
    name = "bfloat16" if arr.dtype.name == "bfloat16" else arr.dtype.name
    if name not in _DTYPES:
        raise TypeError(f"latent codec does not store dtype {arr.dtype}")
    return name


def _np_dtype(name: str):
    if name == "bfloat16":
        import ml_dtypes  # only needed for bf16 latents; ships with jax
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name).newbyteorder("<")


def encode_latent_example(ex: LatentExample) -> bytes:
    header = {"item_id": ex.item_id, "caption": ex.caption, "label": ex.label, "source_uri": ex.source_uri,
              "scaling_factor": float(ex.scaling_factor), "extra": ex.extra, "arrays": {}}
    chunks, offset = [], 0
    for name in _ARRAY_FIELDS:
        arr = getattr(ex, name)
        if arr is None:
            continue
        arr = np.ascontiguousarray(arr)
        dtype = _dtype_name(arr)
        data = arr.astype(_np_dtype(dtype), copy=False).tobytes()
        header["arrays"][name] = {"dtype": dtype, "shape": list(arr.shape), "offset": offset, "nbytes": len(data)}
        pad = (-len(data)) % 8
        chunks.append(data + b"\0" * pad)
        offset += len(data) + pad
    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    head += b" " * ((-(len(MAGIC) + 5 + len(head))) % 8)   # keep array data 8-byte aligned
    return MAGIC + struct.pack("<BI", LATENT_CODEC_VERSION, len(head)) + head + b"".join(chunks)


def decode_latent_example(data: bytes) -> LatentExample:
    if data[:4] != MAGIC:
        raise ValueError("not a framesift latent example (bad magic)")
    version, head_len = struct.unpack_from("<BI", data, 4)
    if version != LATENT_CODEC_VERSION:
        raise ValueError(f"latent codec version {version} is not supported (reads {LATENT_CODEC_VERSION})")
    start = 9 + head_len
    header = json.loads(data[9:start])
    arrays = {}
    for name, spec in header["arrays"].items():
        buf = memoryview(data)[start + spec["offset"]: start + spec["offset"] + spec["nbytes"]]
        arrays[name] = np.frombuffer(buf, dtype=_np_dtype(spec["dtype"])).reshape(spec["shape"])
    return LatentExample(item_id=header["item_id"], caption=header["caption"], label=header["label"],
                         source_uri=header["source_uri"], scaling_factor=header["scaling_factor"],
                         extra=header["extra"], latent=arrays["latent"],
                         latent_logvar=arrays.get("latent_logvar"), embedding=arrays.get("embedding"))
