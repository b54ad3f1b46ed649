"""The latent example: one encoded training example, as stored in the latent shards (a TFDS ArrayRecord dataset).

Defined once here as a `tfds.features.FeaturesDict`; its serialisation (a tf.train.Example, written and parsed by
TFDS without TensorFlow) is the only codec. The encode job writes `LatentCodec(features).encode(example)` (TFDS's
encoding, with protobuf's deterministic map order); the Grain reader (model/data),
`tfds.builder_from_directory(SHARDS).as_data_source("train")` and a plain ArrayRecordReader +
`features.deserialize_example_np` all decode the same bytes with the same features.json, so a process that never
imports framesift reads the shards too.

Fields (absent values have a fixed marker, never a missing key):
  item_id, source_uri, media_type ("image" | "clip"), caption ("" when none), label (-1 when none)
  latent            (T, h, w, C) posterior mean of the autoencoder, UNnormalised (the trainer normalises with
                    the dataset's per-channel mean/std or the autoencoder's scaling/shift factors); images have T=1
  latent_logvar     same shape, when the dataset stores it (`store_logvar`): sample z = mean + exp(logvar / 2) * eps.
                    Without it the policy is "use the mean" (recorded in dataset metadata as `sampling`).
  picture_embedding (D,) float32 open_clip image embedding of the item; shape (0,) when the run has none
  caption_embedding (D,) float32 open_clip text embedding of the caption; shape (0,) when none
  aesthetic, motion float32 recorded scores; NaN when not scored
  original_size     (2,) int32 (height, width) of the source before resizing (SDXL micro-conditioning)
  crop_coords       (2,) int32 (top, left) of the crop in the resized picture (SDXL's c_crop)
  target_size       (2,) int32 (height, width) of the pixels that were encoded (the aspect bucket)
  clip_span         (2,) int64 [start_frame, end_frame) of the clip in the source video; (-1, -1) for images
  frame_indices     (T,) int64 source frame index of every encoded frame; (0,) for images
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

LATENT_FEATURES_VERSION = 3
DATASET_NAME = "framesift_latents"
SPLIT = "train"
LATENT_DTYPES = ("float16", "float32", "bfloat16")
NO_LABEL = -1

FIELDS = ("item_id", "source_uri", "media_type", "caption", "label", "latent", "latent_logvar",
          "picture_embedding", "caption_embedding", "aesthetic", "motion", "original_size", "crop_coords",
          "target_size", "clip_span", "frame_indices")


def _np_dtype(name: str) -> np.dtype:
    if name not in LATENT_DTYPES:
        raise ValueError(f"latent dtype {name!r} is not one of {LATENT_DTYPES}")
    if name == "bfloat16":
        import ml_dtypes  # ships with jax
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def latent_features(latent_channels: int, latent_dtype: str = "float16", store_logvar: bool = True):
    """The FeaturesDict of a latent dataset. Imports TFDS (about 2 s), so it is never done at module import."""
    import tensorflow_datasets as tfds
    F = tfds.features
    dtype = _np_dtype(latent_dtype)

    def array(shape, dt):
        # BYTES: the raw little-endian buffer plus its shape, decoded zero-copy into numpy
        return F.Tensor(shape=shape, dtype=dt, encoding=F.Encoding.BYTES)

    spec: dict[str, Any] = {
        "item_id": F.Text(), "source_uri": F.Text(), "media_type": F.Text(), "caption": F.Text(),
        "label": F.Scalar(dtype=np.int64),
        "latent": array((None, None, None, latent_channels), dtype),
        "picture_embedding": array((None,), np.float32), "caption_embedding": array((None,), np.float32),
        "aesthetic": F.Scalar(dtype=np.float32), "motion": F.Scalar(dtype=np.float32),
        "original_size": array((2,), np.int32), "crop_coords": array((2,), np.int32),
        "target_size": array((2,), np.int32), "clip_span": array((2,), np.int64),
        "frame_indices": array((None,), np.int64),
    }
    if store_logvar:
        spec["latent_logvar"] = array((None, None, None, latent_channels), dtype)
    return F.FeaturesDict(spec)


def make_example(*, item_id: str, source_uri: str, media_type: str, latent: np.ndarray,
                 latent_dtype: str = "float16", latent_logvar: Optional[np.ndarray] = None,
                 caption: Optional[str] = None, label: Optional[int] = None,
                 picture_embedding: Optional[np.ndarray] = None, caption_embedding: Optional[np.ndarray] = None,
                 aesthetic: Optional[float] = None, motion: Optional[float] = None,
                 original_size: tuple[int, int] = (0, 0), crop_coords: tuple[int, int] = (0, 0),
                 target_size: tuple[int, int] = (0, 0), clip_span: Optional[tuple[int, int]] = None,
                 frame_indices: Optional[list[int]] = None) -> dict[str, Any]:
    """One example as the FeaturesDict serialises it, with the absent-value markers filled in."""
    if media_type not in ("image", "clip"):
        raise ValueError(f"media_type must be 'image' or 'clip', got {media_type!r}")
    latent = np.asarray(latent)
    if latent.ndim != 4:
        raise ValueError(f"latent must be (T, h, w, C), got shape {latent.shape}")
    dtype = _np_dtype(latent_dtype)
    nan = float("nan")
    ex = {
        "item_id": item_id, "source_uri": source_uri, "media_type": media_type, "caption": caption or "",
        "label": NO_LABEL if label is None else int(label),
        "latent": np.ascontiguousarray(latent.astype(dtype, copy=False)),
        "picture_embedding": _vector(picture_embedding), "caption_embedding": _vector(caption_embedding),
        "aesthetic": np.float32(nan if aesthetic is None else aesthetic),
        "motion": np.float32(nan if motion is None else motion),
        "original_size": np.asarray(original_size, np.int32), "crop_coords": np.asarray(crop_coords, np.int32),
        "target_size": np.asarray(target_size, np.int32),
        "clip_span": np.asarray(clip_span if clip_span is not None else (-1, -1), np.int64),
        "frame_indices": np.asarray(frame_indices or [], np.int64),
    }
    if latent_logvar is not None:
        if np.shape(latent_logvar) != latent.shape:
            raise ValueError(f"latent_logvar shape {np.shape(latent_logvar)} differs from latent {latent.shape}")
        ex["latent_logvar"] = np.ascontiguousarray(np.asarray(latent_logvar).astype(dtype, copy=False))
    return ex


class LatentCodec:
    """The FeaturesDict's own tf.train.Example encoding, serialised deterministically: protobuf writes the
    Example's feature map in hash order unless asked, and a rerun must write the same bytes. Decoding is TFDS's numpy
    path, the one `as_data_source` uses."""

    def __init__(self, features):
        from tensorflow_datasets.core.example_serializer import ExampleSerializer
        self.features = features
        self._serializer = ExampleSerializer(features.get_serialized_info())

    def encode(self, example: dict[str, Any]) -> bytes:
        proto = self._serializer.get_tf_example(self.features.encode_example(example))
        return proto.SerializeToString(deterministic=True)

    def decode(self, data: bytes) -> dict[str, Any]:
        return self.features.deserialize_example_np(data)


class FastExampleDecoder:
    """Decodes the same bytes to the same dict as `features.deserialize_example_np`, about 10x faster.

    TFDS's numpy path walks every feature through several layers of Python per record (~1 ms here), more than
    reading the record costs; a trainer's input pipeline cannot afford that. This parses the tf.train.Example once
    and turns each field into numpy by a plan made once from the features (flat top-level FeaturesDicts of Tensor,
    Scalar and Text; anything else raises at construction). The tests check it against TFDS on every record."""

    def __init__(self, features):
        from tensorflow_datasets.proto import tf_example_pb2
        self._parse = tf_example_pb2.Example.FromString
        self._plan = []
        for name, serialized in features.get_serialized_info().items():
            info = features[name].get_tensor_info()
            dtype = np.dtype(features[name].np_dtype)
            if isinstance(serialized, dict):
                if set(serialized) != {"shape", "value"}:
                    raise TypeError(f"feature {name!r}: nested features are not supported by the fast decoder")
                self._plan.append((name, "dynamic_bytes", dtype, None))
            elif np.dtype(serialized.np_dtype) == np.object_:
                if dtype == np.object_:
                    self._plan.append((name, "text", None, None))
                else:
                    shape = tuple(-1 if d is None else d for d in info.shape)
                    self._plan.append((name, "bytes", dtype, shape))
            else:
                self._plan.append((name, "scalar" if not info.shape else "array", dtype, tuple(info.shape)))

    def __call__(self, data: bytes) -> dict[str, Any]:
        feature = self._parse(data).features.feature
        out: dict[str, Any] = {}
        for name, kind, dtype, shape in self._plan:
            if kind == "dynamic_bytes":
                dims = tuple(feature[name + "/shape"].int64_list.value)
                out[name] = np.frombuffer(feature[name + "/value"].bytes_list.value[0], dtype).reshape(dims)
            elif kind == "bytes":
                out[name] = np.frombuffer(feature[name].bytes_list.value[0], dtype).reshape(shape)
            elif kind == "text":
                out[name] = feature[name].bytes_list.value[0]
            elif kind == "scalar":
                f = feature[name]
                # proto floats are float32 values already: the same Python number TFDS's np.array(...).item() gives
                out[name] = (f.int64_list.value if f.HasField("int64_list") else f.float_list.value)[0]
            else:
                f = feature[name]
                values = f.int64_list.value if f.HasField("int64_list") else f.float_list.value
                out[name] = np.array(values, dtype=dtype).reshape(shape)
        return out


def _vector(v: Optional[np.ndarray]) -> np.ndarray:
    return np.zeros((0,), np.float32) if v is None else np.ascontiguousarray(np.asarray(v, np.float32).reshape(-1))


def decode_text(value) -> str:
    """TFDS hands Text fields back as bytes (numpy path); readers that want str use this."""
    return value.decode("utf-8") if isinstance(value, (bytes, bytearray)) else str(value)
