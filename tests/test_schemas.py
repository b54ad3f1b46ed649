import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from framesift.schemas import (MANIFEST_SCHEMA, DeadLetter, LatentExample, ManifestRow, Rejection, ReviewDecision,
                               check_manifest_schema, decode_latent_example, encode_latent_example, rows_to_table,
                               table_to_rows)


def _row(**kw):
    base = dict(item_id="abc", source_uri="gs://b/x.mp4", media_type="clip", clip_index=2, start_frame=10,
                end_frame=60, start_s=0.4, end_s=2.4, width=640, height=360, bytes=1234, sha256="f" * 64,
                fps=25.0, frame_count=250, duration_s=10.0, codec="h264", has_audio=True,
                scores={"sharpness": 0.2, "motion_mean": 0.01}, keep=False,
                reject_reasons=[Rejection("filter", "sharpness", "sharpness", 0.001, "min", 0.005, "too_blurry")],
                metadata={"label": "7"}, caption="a cat", config_hash="h")
    base.update(kw)
    return ManifestRow(**base)


def test_manifest_round_trip_through_parquet(tmp_path):
    rows = [_row(), _row(item_id="def", media_type="image", clip_index=None, start_frame=None, end_frame=None,
                         reject_reasons=[], keep=True, scores={})]
    path = tmp_path / "m.parquet"
    pq.write_table(rows_to_table(rows), path)
    table = pq.read_table(path)
    assert table.schema.metadata[b"framesift.manifest.version"] == b"1"
    assert table_to_rows(table) == rows


def test_manifest_schema_refuses_other_versions():
    bad = MANIFEST_SCHEMA.with_metadata({"framesift.manifest.version": "99"})
    with pytest.raises(ValueError, match="version"):
        check_manifest_schema(bad)


def test_rejection_describe():
    r = Rejection("filter", "sharpness", "sharpness", 0.001, "min", 0.005, "too_blurry")
    assert r.describe() == "sharpness: too_blurry (sharpness 0.001 < min 0.005)"


def test_dead_letter_json_round_trip():
    d = DeadLetter.from_exception("/x/y.jpg", "analyze_image", OSError("image file is truncated"), "h")
    again = DeadLetter.from_json(d.to_json())
    assert again == d and again.error_type == "OSError"


def test_review_decision_validates():
    ReviewDecision("a", "approve", "ana", "2026-01-01T00:00:00Z")
    with pytest.raises(ValueError, match="needs a reason"):
        ReviewDecision("a", "reject", "ana", "2026-01-01T00:00:00Z")
    with pytest.raises(ValueError, match="decision must be one of"):
        ReviewDecision("a", "maybe", "ana", "2026-01-01T00:00:00Z")


@pytest.mark.parametrize("dtype", ["float16", "float32", "bfloat16"])
def test_latent_codec_round_trip(dtype):
    import ml_dtypes
    np_dtype = ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype
    rng = np.random.default_rng(0)
    ex = LatentExample(item_id="i1", latent=rng.normal(size=(4, 8, 8, 4)).astype(np_dtype),
                       latent_logvar=rng.normal(size=(4, 8, 8, 4)).astype(np_dtype),
                       embedding=rng.normal(size=(7,)).astype(np.float32), caption="ein Bild ✓", label=3,
                       source_uri="gs://b/v.mp4", scaling_factor=0.18215, extra={"span": [0, 16]})
    data = encode_latent_example(ex)
    back = decode_latent_example(data)
    assert back == ex
    assert back.latent.dtype == ex.latent.dtype and back.latent.shape == (4, 8, 8, 4)


def test_latent_codec_optional_fields_and_bad_input():
    ex = LatentExample(item_id="i2", latent=np.zeros((2, 2, 4), np.float32))
    back = decode_latent_example(encode_latent_example(ex))
    assert back == ex and back.embedding is None and back.caption is None
    with pytest.raises(ValueError, match="bad magic"):
        decode_latent_example(b"nope" + bytes(20))


def test_embedding_table_to_matrix():
    from framesift.schemas import EMBEDDING_SCHEMA, EmbeddingRecord, embeddings_matrix
    recs = [EmbeddingRecord(f"i{i}", "open_clip:tiny/untrained", True, np.full(5, i, np.float32)) for i in range(3)]
    table = pa.Table.from_pylist([r.to_record() for r in recs], schema=EMBEDDING_SCHEMA)
    ids, mat = embeddings_matrix(table)
    assert ids == ["i0", "i1", "i2"] and mat.shape == (3, 5) and mat[2, 0] == 2
    assert EmbeddingRecord.from_record(table.to_pylist()[1]).embedding.tolist() == [1.0] * 5
