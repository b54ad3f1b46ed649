"""The demo's autoencoder step on the curated demo set: trained from scratch on the approved images, it must
reconstruct held-out items better than at its first eval."""
import json

import pytest


@pytest.mark.slow
def test_demo_autoencoder_raises_held_out_psnr(demo_run, tmp_path, capsys):
    from framesift.commands.demo import _export, _train_autoencoder
    run_dir, _ = demo_run
    approved = str(tmp_path / "approved.parquet")
    assert _export(str(run_dir), approved)["exported"] > 10
    _train_autoencoder(approved, str(tmp_path / "ae"), 60.0, 0.0)
    assert "held-out PSNR" in capsys.readouterr().out
    evals = [json.loads(line) for line in (tmp_path / "ae" / "eval.jsonl").read_text().splitlines()]
    assert evals[0]["step"] == 0 and evals[-1]["step"] > 0
    assert evals[-1]["psnr"] > evals[0]["psnr"] + 2.0, evals
