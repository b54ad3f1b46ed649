import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from framesift.manifest_reader import read_manifest_file
from framesift.schemas import (MANIFEST_VERSION, DeadLetter, LatentDatasetMetadata, ManifestRow, Rejection,
                               ReviewDecision, ShardInfo, latent_features, make_example, rows_to_table)


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
    assert pq.read_schema(path).metadata[b"framesift.manifest.version"] == str(MANIFEST_VERSION).encode()
    assert [ManifestRow.from_record(r) for r in read_manifest_file(str(path)).to_pylist()] == rows


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
def test_latent_record_round_trip(dtype):
    """The one codec: the FeaturesDict's serialisation, decoded by TFDS's numpy path (no TensorFlow)."""
    import ml_dtypes
    np_dtype = ml_dtypes.bfloat16 if dtype == "bfloat16" else np.dtype(dtype)
    rng = np.random.default_rng(0)
    features = latent_features(4, dtype, store_logvar=True)
    mean, logvar = rng.normal(size=(2, 3, 8, 8, 4)).astype(np.float32)
    ex = make_example(item_id="i1", source_uri="gs://b/v.mp4", media_type="clip", latent=mean,
                      latent_logvar=logvar, latent_dtype=dtype, caption="ein Bild ✓", label=3,
                      picture_embedding=rng.normal(size=7), aesthetic=5.5, original_size=(720, 1280),
                      crop_coords=(0, 160), target_size=(64, 64), clip_span=(10, 40), frame_indices=[10, 12, 14])
    back = features.deserialize_example_np(features.serialize_example(ex))
    assert set(back) == set(ex)
    assert back["latent"].dtype == np_dtype and back["latent"].shape == (3, 8, 8, 4)
    np.testing.assert_array_equal(back["latent"], mean.astype(np_dtype))
    np.testing.assert_array_equal(back["latent_logvar"], logvar.astype(np_dtype))
    assert back["caption"].decode() == "ein Bild ✓" and back["label"] == 3 and back["aesthetic"] == 5.5
    assert back["caption_embedding"].shape == (0,) and np.isnan(back["motion"])
    assert back["clip_span"].tolist() == [10, 40] and back["frame_indices"].tolist() == [10, 12, 14]


def test_latent_record_absent_values_and_bad_input():
    features = latent_features(4, "float16", store_logvar=False)
    ex = make_example(item_id="i2", source_uri="/x.png", media_type="image", latent=np.zeros((1, 2, 2, 4)))
    back = features.deserialize_example_np(features.serialize_example(ex))
    assert "latent_logvar" not in back and back["caption"] == b"" and back["label"] == -1
    assert back["clip_span"].tolist() == [-1, -1] and back["picture_embedding"].shape == (0,)
    with pytest.raises(ValueError, match="latent must be"):
        make_example(item_id="i3", source_uri="/x.png", media_type="image", latent=np.zeros((2, 2, 4)))
    with pytest.raises(ValueError, match="media_type"):
        make_example(item_id="i3", source_uri="/x.png", media_type="gif", latent=np.zeros((1, 2, 2, 4)))
    with pytest.raises(ValueError, match="latent dtype"):
        latent_features(4, "int8")


def test_latent_metadata_round_trip_and_version():
    meta = LatentDatasetMetadata(
        dataset_name="d", split="train", examples_per_shard=2, latent_channels=4, latent_dtype="float16",
        store_logvar=True, sampling="posterior_sample", autoencoder={"sha256": "x"}, sources=[],
        approved={"rows": 3}, encode_config={}, encode_config_hash="h",
        shards=[ShardInfo("f-00000-of-00001", 3, 3, 0, 10, "ab")])
    back = LatentDatasetMetadata.from_json(meta.to_json())
    assert back == meta and back.num_examples == 3
    with pytest.raises(ValueError, match="version"):
        LatentDatasetMetadata.from_dict({**meta.to_dict(), "version": 99})


def test_embedding_table_to_matrix():
    from framesift.schemas import EMBEDDING_SCHEMA, EmbeddingRecord, embeddings_matrix
    recs = [EmbeddingRecord(f"i{i}", "open_clip:tiny/untrained", True, np.full(5, i, np.float32)) for i in range(3)]
    table = pa.Table.from_pylist([r.to_record() for r in recs], schema=EMBEDDING_SCHEMA)
    ids, mat = embeddings_matrix(table)
    assert ids == ["i0", "i1", "i2"] and mat.shape == (3, 5) and mat[2, 0] == 2
    assert EmbeddingRecord.from_record(table.to_pylist()[1]).embedding.tolist() == [1.0] * 5


def test_embeddings_reader_reads_version_1_and_refuses_newer(tmp_path):
    """Runs written before caption embeddings were kept read with the column null; a newer version is refused."""
    from framesift.schemas import (CAPTION_EMBEDDING, EMBEDDING_SCHEMA, EmbeddingRecord, embeddings_matrix,
                                   read_embeddings)
    v1 = pa.table({"item_id": ["a", "b"], "model": ["m", "m"], "untrained": [True, True],
                   "embedding": pa.array([[1.0, 0.0], [0.0, 1.0]], pa.list_(pa.float32()))})
    pq.write_table(v1.replace_schema_metadata({"framesift.embedding.version": "1"}), tmp_path / "v1.parquet")
    table = read_embeddings(str(tmp_path / "v1.parquet"))
    assert table.schema == EMBEDDING_SCHEMA and table.column(CAPTION_EMBEDDING).null_count == 2
    ids, mat = embeddings_matrix(table, CAPTION_EMBEDDING)
    assert ids == [] and mat.shape == (0, 0)
    assert embeddings_matrix(table)[1].tolist() == [[1.0, 0.0], [0.0, 1.0]]
    # version 2, a caption embedding on one row of two
    v2 = pa.Table.from_pylist([
        EmbeddingRecord("a", "m", True, np.ones(2), np.array([0.6, 0.8])).to_record(),
        EmbeddingRecord("b", "m", True, np.ones(2)).to_record()], schema=EMBEDDING_SCHEMA)
    ids, mat = embeddings_matrix(v2, CAPTION_EMBEDDING)
    assert ids == ["a"] and np.allclose(mat, [[0.6, 0.8]])
    assert EmbeddingRecord.from_record(v2.to_pylist()[1]).caption_embedding is None
    pq.write_table(v2.replace_schema_metadata({"framesift.embedding.version": "9"}), tmp_path / "v9.parquet")
    with pytest.raises(ValueError, match="embeddings version '9' is not supported"):
        read_embeddings(str(tmp_path / "v9.parquet"))
