"""`framesift train-autoencoder` as users run it: a subprocess on an approved set with photos, a clip and a broken
file; killed with SIGKILL after its first checkpoint, restarted, and checked to continue exactly."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.autoencoder_training_fixtures import TINY_TRAIN_OVERRIDES, write_approved_set

STEPS = 16


def _command(data, workdir, *extra):
    args = [sys.executable, "-m", "framesift.cli", "train-autoencoder", "--data", data, "--workdir", str(workdir),
            "--no-progress"]
    for override in TINY_TRAIN_OVERRIDES + [f"train.steps={STEPS}", "train.log_every=1", "train.eval_every=100",
                                            "train.checkpoint_every=4"]:
        args += ["--set", override]
    return args + list(extra)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    # the restarted process and the fine-tune reuse the first one's compiled steps
    cache = tmp_path_factory.mktemp("jax_cache")
    return {**os.environ, "JAX_COMPILATION_CACHE_DIR": str(cache),
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0", "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}


def _metrics(workdir):
    with open(workdir / "metrics.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]


def _committed_steps(workdir):
    ckpt = workdir / "checkpoints"
    return sorted(int(p.name) for p in ckpt.iterdir() if p.name.isdigit()) if ckpt.exists() else []


def test_killed_run_resumes_exactly_and_improves(tmp_path, env):
    data = write_approved_set(tmp_path / "data")
    workdir = tmp_path / "run"
    proc = subprocess.Popen(_command(data, workdir), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 900
    while not _committed_steps(workdir) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.5)
    assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
    time.sleep(1.0)                     # let it run past the checkpoint, so some steps are redone after restart
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = max(m["step"] for m in _metrics(workdir))
    resume_from = _committed_steps(workdir)[-1]
    assert 4 <= resume_from < STEPS and killed_at >= resume_from

    done = subprocess.run(_command(data, workdir), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"trained steps {resume_from}..{STEPS}" in done.stdout
    lines = _metrics(workdir)
    first_try = {m["step"]: m for m in lines[:killed_at]}
    resumed = {m["step"]: m for m in lines[killed_at:]}
    assert sorted(resumed) == list(range(resume_from + 1, STEPS + 1))
    for step in range(resume_from + 1, killed_at + 1):     # same batch, same noise, same weights: same loss
        assert resumed[step]["loss"] == pytest.approx(first_try[step]["loss"], rel=1e-5)

    evals = [json.loads(line) for line in (workdir / "eval.jsonl").read_text().splitlines()]
    assert [e["step"] for e in evals] == [0, STEPS]
    assert evals[-1]["psnr"] > evals[0]["psnr"] + 1.0, evals
    assert len(evals[-1]["spectrum_inputs"]) == len(evals[-1]["spectrum_reconstructions"]) == 16
    assert (workdir / "eval" / f"step_{STEPS:06d}_grid.png").exists()
    assert (workdir / "eval" / f"step_{STEPS:06d}_spectra.png").exists()
    run = json.loads((workdir / "run.json").read_text())
    # 10 items, 2 held out (by item_id hash); the broken file is skipped with its reason wherever it landed
    assert run["eval_items"] == 2 and run["train_items"] == 8
    assert "skipping img-broken" in done.stderr

    # fine-tuning starts from the trained checkpoint: its first eval is the trained model's last
    tuned = subprocess.run(_command(data, tmp_path / "tuned", "--init", str(workdir / "autoencoder"),
                                    "--set", "train.steps=2"), env=env, capture_output=True, text=True)
    assert tuned.returncode == 0, tuned.stderr[-2000:]
    first = json.loads((tmp_path / "tuned" / "eval.jsonl").read_text().splitlines()[0])
    assert first["psnr"] == pytest.approx(evals[-1]["psnr"], abs=1e-3)


def test_data_that_is_not_an_approved_set_is_refused_clearly(tmp_path):
    """The trainer reads the approved set through framesift's one manifest reader: a Parquet file that framesift
    export did not write (no manifest version, no keep/config_hash) is refused with its path, before any training."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from model.autoencoder_training.data import read_approved
    bare = tmp_path / "bare.parquet"
    pq.write_table(pa.table({"item_id": ["a"], "source_uri": ["x.jpg"], "media_type": ["image"]}), str(bare))
    with pytest.raises(ValueError, match="bare.parquet: not an approved set"):
        read_approved(str(bare))
    rows = read_approved(write_approved_set(tmp_path / "data", side=32))
    assert [r["item_id"] for r in rows][-2:] == ["clip-pan-0", "img-broken"]
    assert rows[-2]["start_frame"] == 0 and rows[-2]["end_frame"] == 12
