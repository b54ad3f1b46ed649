"""The encode job end to end on a small approved set: counts reconcile, shards verify, every reader returns the
same examples, reruns are byte-identical, a killed job resumes writing only what is missing."""
import glob
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from framesift.schemas import DeadLetter
from model.autoencoder import load_autoencoder
from pipelines.encode.job import EncodeInputError, run_encode
from pipelines.encode.verify import verify_shards
from tests.encode_fixtures import EMBED_DIM, LOADER, small_encode_config
from tests.scoring_fixtures import TINY_CLIP

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEAM = ["--direct_running_mode=in_memory"]


@pytest.fixture
def encoded(encoded_shards):
    return encoded_shards


def _tree_bytes(path: str) -> dict[str, bytes]:
    out = {}
    for f in sorted(glob.glob(os.path.join(path, "**"), recursive=True)):
        if os.path.isfile(f):
            with open(f, "rb") as fh:
                out[os.path.relpath(f, path)] = fh.read()
    return out


def test_every_item_is_an_example_or_a_dead_letter(encoded):
    report = encoded["report"]
    assert report["approved"] == encoded["items"] == 15
    assert report["examples"] == 13 and report["dead_letters"] == 2 and report["reconciled"]
    assert report["shards"] == 4 and report["shards_written"] == 4
    with open(os.path.join(encoded["out"], "dead_letter.jsonl")) as f:
        dead = [DeadLetter.from_json(line) for line in f if line.strip()]
    assert sorted(d.item_id for d in dead) == encoded["bad"]
    by_id = {d.item_id: d for d in dead}
    assert by_id["img90"].error_type == "UnidentifiedImageError" and by_id["img90"].stage == "encode_load"
    assert "gone.png" in by_id["img91"].uri and by_id["img91"].message


def test_shards_verify_and_metadata(encoded):
    problems, facts = verify_shards(encoded["out"])
    assert problems == [] and facts["records_decoded"] == 13
    with open(os.path.join(encoded["out"], "metadata.json")) as f:
        meta = json.load(f)
    from pipelines.encode.autoencoder_handler import checkpoint_digest
    assert meta["autoencoder"]["sha256"] == checkpoint_digest(encoded["ckpt"])
    assert meta["autoencoder"]["config"]["latent_channels"] == 4
    assert meta["autoencoder"]["config"]["block_out_channels"] == [32, 32, 32, 32]
    assert meta["sources"] == [{"run": encoded["run"], "config_hashes": ["cfgA"]}]
    assert [s["examples"] + s["dead_letters"] for s in meta["shards"]] == [4, 4, 4, 3]
    assert meta["embedding_dims"] == {"picture": EMBED_DIM, "caption": EMBED_DIM}
    assert meta["buckets"] == {"1x4x4": 12, "5x4x4": 1}
    # the recorded channel statistics are those of the stored latents
    from model.data import LatentShardSource
    source = LatentShardSource(encoded["out"])
    latents = np.concatenate([source[i]["latent"].astype(np.float64).reshape(-1, 4) for i in range(len(source))])
    np.testing.assert_allclose(meta["latent_channel_mean"], latents.mean(0), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(meta["latent_channel_std"], latents.std(0), rtol=1e-6)


def test_records_hold_the_encoded_item(encoded):
    """Latents are the checkpoint's encoding of the item's pixels; fields come from the approved row."""
    from model.data import LatentShardSource
    from pipelines.encode.pixels import prepare_item
    from pipelines.encode.plan import read_approved
    source = LatentShardSource(encoded["out"])
    examples = {source[i]["item_id"].decode(): source[i] for i in range(len(source))}
    assert sorted(examples) == sorted([f"img{i:02d}" for i in range(12)] + ["clip00"])
    with open(encoded["approved"], "rb") as f:
        rows = {r["item_id"]: r for r in read_approved(f.read(), "x").to_pylist()}
    ae = load_autoencoder(encoded["ckpt"])
    cfg = small_encode_config()
    for item_id in ("img01", "img04", "clip00"):
        ex, row = examples[item_id], rows[item_id]
        item = prepare_item(row, cfg)
        x = item.pixels.astype(np.float32) / 127.5 - 1
        mean, logvar = ae.encode_video(x[None])
        np.testing.assert_allclose(ex["latent"].astype(np.float32), np.asarray(mean[0]), atol=2e-2, rtol=1e-2)
        np.testing.assert_allclose(ex["latent_logvar"].astype(np.float32), np.asarray(logvar[0]), atol=2e-2)
        assert ex["source_uri"].decode() == row["source_uri"]
        assert ex["target_size"].tolist() == [32, 32]
        assert ex["original_size"].tolist() == [row["height"], row["width"]]
    clip = examples["clip00"]
    assert clip["media_type"] == b"clip" and clip["latent"].shape == (5, 4, 4, 4)
    assert clip["clip_span"].tolist() == [0, 30] and clip["frame_indices"].tolist() == [0, 2, 5, 8, 10]
    assert clip["motion"] == pytest.approx(0.05) and np.isnan(examples["img01"]["motion"])
    assert examples["img02"]["label"] == 2 and examples["img01"]["label"] == -1
    assert examples["img01"]["caption"] == b"picture 1" and examples["img00"]["caption"] == b""
    assert examples["img04"]["aesthetic"] == pytest.approx(4.4)
    # picture embeddings where the run has them, empty elsewhere
    for item_id, ex in examples.items():
        if item_id in encoded["vectors"]:
            np.testing.assert_array_equal(ex["picture_embedding"], encoded["vectors"][item_id])
        else:
            assert ex["picture_embedding"].shape == (0,)


def test_captioned_items_carry_open_clips_text_embedding_of_their_caption(encoded):
    """The curate run's scorer kept each caption's text embedding; the shards carry it. Checked against open_clip
    itself on the same checkpoint, outside framesift's scoring code."""
    import open_clip
    import torch
    from model.data import LatentShardSource
    source = LatentShardSource(encoded["out"])
    examples = {source[i]["item_id"].decode(): source[i] for i in range(len(source))}
    open_clip.add_model_config(encoded["clip_config_dir"])
    model, _, _ = open_clip.create_model_and_transforms(TINY_CLIP, pretrained=encoded["clip_weights"])
    tokenizer = open_clip.get_tokenizer(TINY_CLIP)
    assert encoded["captions_scored"] == {"img02", "img04", "img08", "clip00"}
    for item_id in sorted(encoded["captions_scored"]):
        caption = examples[item_id]["caption"].decode()
        with torch.no_grad():
            want = model.eval().encode_text(tokenizer([caption]), normalize=True)[0].numpy()
        np.testing.assert_allclose(examples[item_id]["caption_embedding"], want, atol=1e-5)
    # no caption (img00), not scored (img01), or scored by a run written before captions were kept (img10)
    for item_id in ("img00", "img01", "img10"):
        assert examples[item_id]["caption_embedding"].shape == (0,)
    assert examples["img10"]["caption"] == b"picture 10" and examples["img10"]["picture_embedding"].shape == (32,)


def test_tfds_grain_and_array_record_return_the_same_examples(encoded):
    """tfds in a process that never imports framesift, the Grain source, and ArrayRecordReader + features."""
    script = (
        "import sys, json, numpy as np, tensorflow_datasets as tfds\n"
        f"ds = tfds.builder_from_directory({encoded['out']!r}).as_data_source('train')\n"
        "out = [{k: (v.tolist() if isinstance(v, np.ndarray) else (v.decode() if isinstance(v, bytes) else v))"
        " for k, v in ds[i].items()} for i in range(len(ds))]\n"
        "assert not any(m.startswith(('framesift', 'pipelines', 'model')) for m in sys.modules), 'imported framesift'\n"
        "assert 'tensorflow' not in sys.modules\n"
        "print(json.dumps(out))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd="/",
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    via_tfds = json.loads(done.stdout.strip().splitlines()[-1])

    import tensorflow_datasets as tfds
    from array_record.python.array_record_module import ArrayRecordReader
    from model.data import LatentShardSource
    features = tfds.builder_from_directory(encoded["out"]).info.features
    plain = []
    for path in sorted(glob.glob(os.path.join(encoded["out"], "*.array_record-*"))):
        reader = ArrayRecordReader(path)
        plain.extend(features.deserialize_example_np(r) for r in reader.read_all())
        reader.close()
    grain_source = LatentShardSource(encoded["out"])
    assert len(via_tfds) == len(plain) == len(grain_source) == 13
    for i, (t, p) in enumerate(zip(via_tfds, plain)):
        g = grain_source[i]
        assert set(t) == set(p) == set(g)
        for key in p:
            pv, gv = p[key], g[key]
            if isinstance(pv, np.ndarray):
                assert pv.dtype == gv.dtype and pv.shape == gv.shape, key
                np.testing.assert_array_equal(pv, gv)
                np.testing.assert_array_equal(np.asarray(t[key], pv.dtype), pv)
            elif isinstance(pv, float) and np.isnan(pv):
                assert np.isnan(gv) and np.isnan(t[key]), key
            else:
                assert pv == gv, key
                assert t[key] == (pv.decode() if isinstance(pv, bytes) else pv), key
    ids = [ex["item_id"] for ex in via_tfds]
    assert ids == sorted(ids)


def test_rerun_is_byte_identical_and_resumes_nothing(encoded, tmp_path):
    again = str(tmp_path / "again")
    report = run_encode(encoded["approved"], encoded["ckpt"], again, small_encode_config(), runs=[encoded["run"]],
                        beam_args=BEAM, loader=LOADER)
    assert report["shards_written"] == 4
    assert _tree_bytes(again) == _tree_bytes(encoded["out"])
    # a rerun into a finished dataset writes no shard and changes no byte
    before = _tree_bytes(again)
    report = run_encode(encoded["approved"], encoded["ckpt"], again, small_encode_config(), runs=[encoded["run"]],
                        beam_args=BEAM, loader=LOADER)
    assert report["shards_written"] == 0 and report["shards_reused"] == 4
    assert _tree_bytes(again) == before


def test_missing_or_stale_shards_are_redone(encoded, tmp_path):
    import shutil
    copy = str(tmp_path / "copy")
    shutil.copytree(encoded["out"], copy)
    reference = _tree_bytes(copy)
    os.remove(glob.glob(os.path.join(copy, "*array_record-00001-*"))[0])      # shard gone
    os.remove(os.path.join(copy, "encode_state", "shard-00002.json"))         # state gone: shard unproven
    with open(glob.glob(os.path.join(copy, "*array_record-00003-*"))[0], "ab") as f:
        f.write(b"junk")                                                       # size no longer matches
    report = run_encode(encoded["approved"], encoded["ckpt"], copy, small_encode_config(), runs=[encoded["run"]],
                        beam_args=BEAM, loader=LOADER)
    assert report["shards_written"] == 3 and report["shards_reused"] == 1
    assert _tree_bytes(copy) == reference


def test_killed_encode_resumes(encoded, tmp_path):
    """SIGKILL the job once its first shard is on disk; the rerun writes only the rest and matches a clean run."""
    out = str(tmp_path / "killed")
    script = (
        "import time\n"
        "import pipelines.encode.pipeline as pipeline\n"
        "from pipelines.encode.job import run_encode\n"
        "from tests.encode_fixtures import small_encode_config\n"
        "from tests.encode_fixtures import LOADER\n"
        # shards are written in a burst at the end; a pause after each makes the kill land between two of them
        "write = pipeline.write_shard\n"
        "def slow_write(*a, **k):\n"
        "    state = write(*a, **k)\n"
        "    time.sleep(1)\n"
        "    return state\n"
        "pipeline.write_shard = slow_write\n"
        f"run_encode({encoded['approved']!r}, {encoded['ckpt']!r}, {out!r}, small_encode_config(),\n"
        f"           runs=[{encoded['run']!r}], beam_args=['--direct_running_mode=in_memory'], loader=LOADER)\n")
    env = {**os.environ, "PYTHONPATH": ROOT}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 180
    states = os.path.join(out, "encode_state", "shard-*.json")
    while time.time() < deadline and proc.poll() is None and not glob.glob(states):
        time.sleep(0.05)
    assert proc.poll() is None, f"the job ended before it could be killed: {proc.stderr.read()[-2000:]}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    written_before = len(glob.glob(states))
    assert 1 <= written_before < 4
    assert not os.path.exists(os.path.join(out, "metadata.json"))
    report = run_encode(encoded["approved"], encoded["ckpt"], out, small_encode_config(), runs=[encoded["run"]],
                        beam_args=BEAM, loader=LOADER)
    assert report["shards_reused"] == written_before and report["shards_written"] == 4 - written_before
    assert report["reconciled"]
    assert _tree_bytes(out) == _tree_bytes(encoded["out"])


def test_other_inputs_refuse_to_mix_without_overwrite(encoded, tmp_path):
    import shutil
    copy = str(tmp_path / "copy")
    shutil.copytree(encoded["out"], copy)
    other = small_encode_config(examples_per_shard=5)
    with pytest.raises(FileExistsError, match="other inputs or settings"):
        run_encode(encoded["approved"], encoded["ckpt"], copy, other, beam_args=BEAM, loader=LOADER)
    report = run_encode(encoded["approved"], encoded["ckpt"], copy, other, beam_args=BEAM, loader=LOADER,
                        overwrite=True)
    assert report["shards"] == 3 and report["shards_written"] == 3
    assert len(glob.glob(os.path.join(copy, "*.array_record-*"))) == 3
    assert verify_shards(copy)[0] == []


def test_bad_inputs_fail_before_the_job(encoded, tmp_path):
    with pytest.raises(EncodeInputError, match="cannot load"):
        run_encode(encoded["approved"], str(tmp_path / "nope"), str(tmp_path / "o"), small_encode_config(),
                   beam_args=BEAM, loader=LOADER)
    not_parquet = tmp_path / "x.parquet"
    not_parquet.write_bytes(b"nope")
    with pytest.raises(EncodeInputError, match="--approved"):
        run_encode(str(not_parquet), encoded["ckpt"], str(tmp_path / "o"), small_encode_config(), beam_args=BEAM,
                   loader=LOADER)
    with pytest.raises(EncodeInputError, match="not a multiple"):
        run_encode(encoded["approved"], encoded["ckpt"], str(tmp_path / "o"), small_encode_config(image_size=36),
                   beam_args=BEAM, loader=LOADER)
    with pytest.raises(EncodeInputError, match="not a curate run"):
        run_encode(encoded["approved"], encoded["ckpt"], str(tmp_path / "o"), small_encode_config(),
                   runs=[str(tmp_path)], beam_args=BEAM, loader=LOADER)
    assert not os.path.exists(tmp_path / "o")


def test_encode_the_approved_demo_set(demo_run, tmp_path):
    """Acceptance: the demo corpus's approved set encodes, reconciles and verifies."""
    from curation_ui.export import export_approved
    from curation_ui.store import DecisionStore
    from tests.encode_fixtures import build_checkpoint
    run_dir, _ = demo_run
    approved = str(tmp_path / "approved.parquet")
    stats = export_approved(str(run_dir), DecisionStore("sqlite://"), approved, "pipeline_then_human")
    assert stats["exported"] > 100
    out = str(tmp_path / "shards")
    report = run_encode(approved, build_checkpoint(str(tmp_path)), out,
                        small_encode_config(examples_per_shard=64, clip_frames=9), runs=[str(run_dir)],
                        beam_args=BEAM, loader=LOADER)
    assert report["approved"] == stats["exported"] and report["reconciled"]
    assert report["examples"] + report["dead_letters"] == stats["exported"] and report["examples"] > 100
    problems, facts = verify_shards(out)
    assert problems == [] and facts["records_decoded"] == report["examples"]
    with open(os.path.join(out, "metadata.json")) as f:
        meta = json.load(f)
    assert set(meta["buckets"]) >= {"1x4x4"} and meta["embedding_dims"]["picture"] > 0
    assert meta["embedding_dims"]["caption"] == meta["embedding_dims"]["picture"]   # the demo has captions
