"""The trainer: the loss falls, a resumed run equals an uninterrupted one, and 4 devices equal 1."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from model.digits import digits_training_set, load_digit_arrays
from model.training.run_dir import load_trained
from model.training.trainer import train
from tests.diffusion_run import tiny_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(workdir, *args, devices=1):
    env = {**os.environ, "PYTHONPATH": ROOT, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    out = subprocess.run([sys.executable, "-m", "tests.diffusion_run", str(workdir), *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _losses(workdir):
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
        return {d["step"]: d["loss"] for d in map(json.loads, f)}


def _weights(workdir, ema):
    import jax
    from flax import nnx
    model = load_trained(str(workdir), use_ema=ema)[0]
    return [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.Param))]


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("straight")
    _run(workdir, "--steps", "6")
    return workdir


def test_loss_falls_on_digits(tmp_path):
    images, labels = load_digit_arrays()
    cfg = tiny_config(60, 32, "arch.patch_size=1", "train.log_every=10", "train.learning_rate=0.003")
    summary = train(cfg, digits_training_set(images, labels), str(tmp_path), progress=False)
    losses = [l for d in map(json.loads, open(tmp_path / "metrics.jsonl")) for l in d["losses"]]
    first, last = np.mean(losses[:10]), np.mean(losses[-10:])
    print(f"\nloss: first 10 steps {first:.3f}, last 10 steps {last:.3f} (60 steps, batch 32)")
    assert len(losses) == 60 and summary["end_step"] == 60
    assert last < 0.75 * first


def test_resume_matches_an_uninterrupted_run(tmp_path, straight):
    first = _run(tmp_path, "--steps", "6", "--stop-at", "3")
    assert (first["start_step"], first["end_step"]) == (0, 3)
    second = _run(tmp_path, "--steps", "6")           # a new process picks up the checkpoint at step 3
    assert (second["start_step"], second["end_step"]) == (3, 6)
    a, b = _losses(straight), _losses(tmp_path)
    assert sorted(a) == sorted(b) == [1, 2, 3, 4, 5, 6]
    loss_diff = max(abs(a[k] - b[k]) for k in a)
    param_diff = max(float(np.abs(x - y).max()) for ema in (False, True)
                     for x, y in zip(_weights(straight, ema), _weights(tmp_path, ema)))
    print(f"\nresume: losses {[round(a[k], 5) for k in sorted(a)]}; max |loss diff| {loss_diff:.2e}, "
          f"max |param diff| {param_diff:.2e} (params and EMA)")
    assert loss_diff < 1e-5 and param_diff < 1e-5
    # the batches after the restart are the ones an uninterrupted run sees: a run that forgot the data position
    # (or the step's noise) would differ by far more than float noise
    assert a[4] != a[1]


def test_four_devices_match_one(tmp_path, straight):
    one = _losses(straight)
    for fsdp in (False, True):
        workdir = tmp_path / f"fsdp{int(fsdp)}"
        summary = _run(workdir, "--steps", "6", *(["--fsdp"] if fsdp else []), devices=4)
        assert summary["devices"] == 4
        four = _losses(workdir)
        diff = max(abs(one[k] - four[k]) / one[k] for k in one)
        print(f"\nmesh: 4 devices{' (fsdp)' if fsdp else ''} vs 1: max relative loss difference {diff:.2e} "
              f"over 6 steps")
        assert diff < 1e-3
