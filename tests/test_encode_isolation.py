"""The encode job decodes in a helper process (pipelines/encode/pipeline.py PrepareItems), as curate does: a native
decoder crash costs one item, a dead letter, never the job whose process holds the autoencoder's JAX threads; and
the helper, a fresh interpreter, carries none of Beam, gRPC or JAX (issue 9)."""
import os
import shutil

import pyarrow.parquet as pq

from framesift.schemas import DeadLetter
from pipelines.encode import pipeline as encode_pipeline
from pipelines.encode.job import run_encode
from pipelines.media.helper_process import HelperPool
from tests.encode_fixtures import LOADER, build_approved, build_checkpoint, small_encode_config
from tests.helper_targets import CrashingPreparer


def _approved_with_a_crash(root: str) -> tuple[str, dict]:
    """The fixture's approved set cut to three images and the clip, plus a copy of one image named crash.png."""
    data = build_approved(root, corrupt=False)
    table = pq.read_table(data["approved"]).to_pylist()
    rows = [r for r in table if r["item_id"] in ("img00", "img01", "img02", "clip00")]
    crash = dict(rows[0], item_id="img80", source_uri=os.path.join(os.path.dirname(rows[0]["source_uri"]),
                                                                   "crash.png"))
    shutil.copy(rows[0]["source_uri"], crash["source_uri"])
    path = os.path.join(root, "approved_crash.parquet")
    pq.write_table(pq.read_table(data["approved"]).from_pylist(rows + [crash], schema=pq.read_schema(
        data["approved"])), path)
    return path, data


def test_a_decoder_crash_in_encode_is_one_dead_letter(tmp_path, monkeypatch):
    approved, data = _approved_with_a_crash(str(tmp_path))
    # the helper imports the target by name: it inherits nothing from this process
    monkeypatch.setattr(encode_pipeline, "ItemPreparer", CrashingPreparer)
    out = str(tmp_path / "shards")
    report = run_encode(approved, build_checkpoint(str(tmp_path)), out, small_encode_config(),
                        runs=[data["run"]], beam_args=["--direct_running_mode=in_memory"], loader=LOADER)
    assert report["approved"] == 5 and report["examples"] == 4 and report["dead_letters"] == 1
    assert report["reconciled"]
    with open(os.path.join(out, "dead_letter.jsonl")) as f:
        (dead,) = [DeadLetter.from_json(line) for line in f if line.strip()]
    assert dead.item_id == "img80" and dead.stage == "encode_load"
    assert dead.error_type == "HelperCrashed" and "SIGABRT" in dead.message, dead


def test_the_encode_helper_decodes_without_beam_grpc_or_jax(tmp_path):
    data = build_approved(str(tmp_path), corrupt=False)
    rows = {r["item_id"]: r for r in pq.read_table(data["approved"]).to_pylist()}
    pool = HelperPool(CrashingPreparer(small_encode_config()))
    try:
        image, clip = pool.call("prepare", rows["img01"]), pool.call("prepare", rows["clip00"])
        loaded = pool.call("loaded_modules")
    finally:
        pool.close()
    assert image.pixels.shape == (1, 32, 32, 3) and clip.pixels.shape == (5, 32, 32, 3)
    heavy = [m for m in loaded if m.split(".")[0] in ("apache_beam", "grpc", "jax", "jaxlib", "tensorflow")]
    assert not heavy, heavy[:5]
