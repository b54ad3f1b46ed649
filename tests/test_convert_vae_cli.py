"""`framesift convert-vae` on diffusers folders this test did not write through the fixtures: one saved by a
separate process with its own config (fp16 variant file, no mid-block attention, 3 blocks, 8 latent channels),
one with a hand-written, old-style config.json that leaves most keys to their defaults."""
import json
import re
import subprocess
import sys
import textwrap

import jax.numpy as jnp
import numpy as np
import pytest
import torch

from framesift.cli import main
from model.autoencoder import load_autoencoder
from tests.autoencoder_fixtures import decode, encode, from_torch, max_diff, pixels, save_diffusers_kl, to_torch

WRITER = textwrap.dedent("""
    import sys, torch
    from diffusers import AutoencoderKL
    torch.manual_seed(123)
    model = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=8, block_out_channels=[16, 32, 32],
                          down_block_types=["DownEncoderBlock2D"] * 3, up_block_types=["UpDecoderBlock2D"] * 3,
                          layers_per_block=2, norm_num_groups=4, mid_block_add_attention=False,
                          scaling_factor=0.5, shift_factor=-0.25)
    model.half().save_pretrained(sys.argv[1], variant="fp16")
""")

# what an early diffusers release wrote for the SD VAE: no norm_num_groups, scaling_factor, quant-conv switches
OLD_STYLE_CONFIG = """{
  "_class_name": "AutoencoderKL",
  "_diffusers_version": "0.2.2",
  "act_fn": "silu",
  "block_out_channels": [32, 64],
  "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
  "in_channels": 3,
  "latent_channels": 4,
  "layers_per_block": 1,
  "out_channels": 3,
  "sample_size": 64,
  "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"]
}"""


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "framesift.cli", *args], capture_output=True, text=True)


def _reported_diffs(stdout: str) -> tuple[float, float]:
    found = re.search(r"posterior mean max\|diff\| (\S+), decoded max\|diff\| (\S+)", stdout)
    assert found, stdout
    return float(found.group(1)), float(found.group(2))


def _check_against(folder, ckpt, x, variant=None):
    from diffusers import AutoencoderKL
    reference = AutoencoderKL.from_pretrained(str(folder), torch_dtype=torch.float32, variant=variant).eval()
    ae = load_autoencoder(str(ckpt))
    with torch.no_grad():
        mean_ref = reference.encode(to_torch(x)).latent_dist.mean
        decoded_ref = reference.decode(mean_ref).sample
    mean = encode(ae, jnp.asarray(x))[0]
    assert max_diff(mean, from_torch(mean_ref)) <= 1e-4
    assert max_diff(decode(ae, mean), from_torch(decoded_ref)) <= 1e-4
    return ae


def test_folder_saved_by_another_process(tmp_path):
    folder, ckpt = tmp_path / "vae", tmp_path / "ckpt"
    subprocess.run([sys.executable, "-c", WRITER, str(folder)], check=True)
    assert (folder / "diffusion_pytorch_model.fp16.safetensors").exists()
    proc = _cli("convert-vae", "--diffusers", str(folder), "--output", str(ckpt))
    assert proc.returncode == 0, proc.stderr
    assert max(_reported_diffs(proc.stdout)) <= 1e-4
    assert "8 latent channels, 4x spatial, scaling_factor 0.5, shift_factor -0.25" in proc.stdout
    ae = _check_against(folder, ckpt, pixels((1, 24, 40, 3), seed=7), variant="fp16")
    assert ae.config.block_out_channels == [16, 32, 32] and not ae.config.mid_block_add_attention
    meta = json.loads((ckpt / "autoencoder.json").read_text())
    assert meta["source"]["diffusers_class"] == "AutoencoderKL"
    assert max(meta["source"]["parity_max_abs_diff"].values()) <= 1e-4


def test_hand_written_old_style_config(tmp_path, capsys):
    from diffusers import AutoencoderKL
    from safetensors.torch import save_file
    folder, ckpt = tmp_path / "vae", tmp_path / "ckpt"
    folder.mkdir()
    (folder / "config.json").write_text(OLD_STYLE_CONFIG)
    torch.manual_seed(5)
    model = AutoencoderKL.from_config(json.loads(OLD_STYLE_CONFIG))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              str(folder / "diffusion_pytorch_model.safetensors"))
    assert main(["convert-vae", "--diffusers", str(folder), "--output", str(ckpt)]) == 0
    assert max(_reported_diffs(capsys.readouterr().out)) <= 1e-4
    ae = _check_against(folder, ckpt, pixels((2, 32, 32, 3), seed=9))
    assert ae.config.norm_num_groups == 32 and ae.config.scaling_factor == pytest.approx(0.18215)
    assert ae.config.use_quant_conv and ae.config.shift_factor == 0.0


def test_refuses_to_write_beyond_the_tolerance(tmp_path, capsys):
    folder, ckpt = tmp_path / "vae", tmp_path / "ckpt"
    save_diffusers_kl(folder, "flux")
    # float32 agreement is ~1e-6, never 1e-12: the check must notice and write nothing
    assert main(["convert-vae", "--diffusers", str(folder), "--output", str(ckpt), "--tolerance", "1e-12"]) == 1
    out = capsys.readouterr().out
    assert "nothing written" in out and 0 < max(_reported_diffs(out)) <= 1e-4
    assert not ckpt.exists() and not list(tmp_path.glob("ckpt*"))
    assert main(["convert-vae", "--diffusers", str(folder), "--output", str(ckpt), "--no-check"]) == 0
    assert "parity check skipped: --no-check" in capsys.readouterr().out
    assert main(["convert-vae", "--diffusers", str(folder), "--output", str(ckpt), "--no-check"]) == 2
    assert "exists" in capsys.readouterr().err


def test_not_a_diffusers_folder_is_a_one_line_error(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"_class_name": "UNet2DConditionModel"}))
    proc = _cli("convert-vae", "--diffusers", str(tmp_path), "--output", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "'UNet2DConditionModel' is not supported" in proc.stderr
