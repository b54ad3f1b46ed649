"""The model commands with gs:// shard directories, work directories, checkpoints and outputs, through the session's
GCS emulator: `shards verify/inspect`, `train` (resumed from the checkpoints it left in the bucket), `sample`, and
`train-autoencoder` on an approved set whose parquet and media are in the bucket."""
import io
import json
import os

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from framesift import run_files
from framesift.cli import main
from tests.diffusion_run import TINY
from tests.gcs_emulator import create_bucket, upload_tree

FAST = [f"--set={s}" for s in TINY] + ["--set=arch.patch_size=1", "--set=train.steps=4", "--set=train.batch_size=4",
                                       "--set=train.checkpoint_every=2", "--set=sampling.steps=3"]


@pytest.fixture
def bucket(gcs_emulator, monkeypatch, tmp_path, request):
    from apache_beam.internal.gcp import auth as beam_auth
    for key, value in gcs_emulator.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FRAMESIFT_CACHE_DIR", str(tmp_path / "cache"))
    # the command records "anonymous" in Beam's per-process credential cache: restored after the test
    monkeypatch.setattr(beam_auth._Credentials, "_credentials_init", beam_auth._Credentials._credentials_init)
    monkeypatch.setattr(beam_auth._Credentials, "_credentials", beam_auth._Credentials._credentials)
    name = request.node.name.replace("_", "-")[:50].strip("-")
    create_bucket(gcs_emulator, name)
    return f"gs://{name}"


def _png(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(run_files.read_bytes(uri))))


def _steps(uri: str) -> list[int]:
    return [json.loads(line)["step"] for line in run_files.read_bytes(uri).decode().splitlines() if line.strip()]


def test_shards_train_resume_and_sample_in_the_bucket(encoded_shards, bucket, gcs_emulator, capsys):
    shards, workdir = f"{bucket}/shards", f"{bucket}/dit"
    upload_tree(gcs_emulator, encoded_shards["out"], shards)
    assert main(["shards", "verify", shards]) == 0
    assert main(["shards", "inspect", shards, "--count", "4", "--grid", f"{bucket}/inspect.png"]) == 0
    assert _png(f"{bucket}/inspect.png").ndim == 3

    assert main(["train", "--data", shards, "--workdir", workdir, "--stop-at", "2", *FAST]) == 0
    assert "latents (4, 4, 4) (bucket 1x4x4)" in capsys.readouterr().out
    assert _steps(f"{workdir}/metrics.jsonl") == [1, 2]
    # a fresh local cache: the resume can only come from the bucket's checkpoints
    os.environ["FRAMESIFT_CACHE_DIR"] += "-2"
    assert main(["train", "--data", shards, "--workdir", workdir, *FAST]) == 0
    assert _steps(f"{workdir}/metrics.jsonl") == [1, 2, 3, 4]

    grid = f"{bucket}/samples/grid.png"
    assert main(["sample", "--workdir", workdir, "--steps", "3", "--num", "8", "--output", grid]) == 0
    assert _png(grid).shape == (3 * 66 + 2, 3 * 66 + 2, 3)
    assert grid in capsys.readouterr().out


def test_train_autoencoder_on_an_approved_set_in_the_bucket(bucket, gcs_emulator, tmp_path, capsys):
    from tests.autoencoder_training_fixtures import TINY_TRAIN_OVERRIDES, write_approved_set
    approved = write_approved_set(tmp_path / "data")
    # the approved set as it comes out of a run in a bucket: its media are gs:// objects too
    media = f"{bucket}/media"
    upload_tree(gcs_emulator, str(tmp_path / "data"), media)
    table = pq.read_table(approved)
    uris = [f"{media}/{os.path.relpath(u, tmp_path / 'data')}" for u in table.column("source_uri").to_pylist()]
    table = table.set_column(table.schema.get_field_index("source_uri"), "source_uri", [uris])
    buf = io.BytesIO()
    pq.write_table(table, buf)
    run_files.write_bytes(f"{bucket}/approved.parquet", buf.getvalue())

    workdir = f"{bucket}/ae"
    args = ["train-autoencoder", "--data", f"{bucket}/approved.parquet", "--workdir", workdir, "--no-progress"]
    for override in TINY_TRAIN_OVERRIDES + ["train.steps=2", "train.eval_every=100", "train.checkpoint_every=2"]:
        args += ["--set", override]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"autoencoder: {workdir}/autoencoder" in out
    assert run_files.exists(f"{workdir}/autoencoder") and _steps(f"{workdir}/metrics.jsonl")[-1] == 2
    run = json.loads(run_files.read_bytes(f"{workdir}/run.json"))
    assert run["train_pictures"] >= 3       # pictures decoded from the bucket's media
