"""The NNX AutoencoderKL against diffusers' PyTorch original, after converting its save_pretrained folder."""
import json

import jax.numpy as jnp
import numpy as np
import pytest
import torch
from safetensors.numpy import load_file, save_file

from model.autoencoder import build_autoencoder, load_autoencoder, save_autoencoder
from model.autoencoder.convert import load_from_diffusers
from model.autoencoder.diffusers_folder import ConversionError
from tests.autoencoder_fixtures import (KL_FAMILIES, decode, decode_video, encode, encode_video, from_torch,
                                        max_diff, pixels, save_diffusers_kl, to_torch)

BOUND = 1e-4


@pytest.fixture(scope="module", params=sorted(KL_FAMILIES))
def converted(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"diffusers_{request.param}")
    reference = save_diffusers_kl(folder, request.param)
    ae, class_name = load_from_diffusers(str(folder))
    return request.param, folder, reference, ae


def test_parity_with_diffusers(converted):
    family, _, reference, ae = converted
    x = pixels((2, 32, 32, 3))
    with torch.no_grad():
        posterior = reference.encode(to_torch(x)).latent_dist
        decoded = reference.decode(posterior.mean).sample
    mean, logvar = encode(ae, jnp.asarray(x))
    assert mean.shape == (2, 16, 16, KL_FAMILIES[family]["latent_channels"])
    assert max_diff(mean, from_torch(posterior.mean)) <= BOUND
    assert max_diff(logvar, from_torch(posterior.logvar)) <= BOUND
    assert max_diff(decode(ae, mean), from_torch(decoded)) <= BOUND


def test_latent_normalisation_comes_from_the_config(converted):
    family, _, _, ae = converted
    spec = KL_FAMILIES[family]
    assert ae.config.scaling_factor == pytest.approx(spec["scaling_factor"])
    assert ae.config.shift_factor == pytest.approx(spec.get("shift_factor", 0.0))
    assert ae.config.downsample_factor == 2
    z = jnp.asarray(pixels((1, 4, 4, spec["latent_channels"])) * 5)
    expected = (np.asarray(z) - spec.get("shift_factor", 0.0)) * spec["scaling_factor"]
    assert max_diff(ae.normalize(z), expected) < 1e-6
    assert max_diff(ae.denormalize(ae.normalize(z)), z) < 1e-5


def test_checkpoint_round_trip(converted, tmp_path):
    _, _, _, ae = converted
    path = save_autoencoder(ae, str(tmp_path / "ckpt"), source={"test": True})
    again = load_autoencoder(path)
    assert again.config == ae.config
    x = jnp.asarray(pixels((1, 32, 32, 3), seed=5))
    assert max_diff(encode(again, x)[0], encode(ae, x)[0]) == 0.0
    with pytest.raises(FileExistsError):
        save_autoencoder(ae, path)


def test_legacy_attention_names_and_bf16_weights_load(converted, tmp_path):
    """Older SD checkpoints name attention query/key/value/proj_attn; FLUX/Wan ship bfloat16 safetensors."""
    _, folder, reference, ae = converted
    weights = load_file(str(folder / "diffusion_pytorch_model.safetensors"))
    renames = {".to_q.": ".query.", ".to_k.": ".key.", ".to_v.": ".value.", ".to_out.0.": ".proj_attn."}
    legacy = {}
    for key, value in weights.items():
        for new, old in renames.items():
            key = key.replace(new, old)
        legacy[key] = value
    assert any(".proj_attn." in k for k in legacy)
    (tmp_path / "legacy").mkdir()
    save_file(legacy, str(tmp_path / "legacy" / "diffusion_pytorch_model.safetensors"))
    (tmp_path / "legacy" / "config.json").write_text((folder / "config.json").read_text())
    legacy_ae, _ = load_from_diffusers(str(tmp_path / "legacy"))
    x = jnp.asarray(pixels((1, 32, 32, 3), seed=3))
    assert max_diff(encode(legacy_ae, x)[0], encode(ae, x)[0]) == 0.0

    reference.to(torch.bfloat16).save_pretrained(str(tmp_path / "bf16"))
    reference.to(torch.float32)
    bf16_ae, _ = load_from_diffusers(str(tmp_path / "bf16"))
    bf16_weight = np.asarray(bf16_ae.encoder.conv_in.kernel[...])
    f32_weight = np.asarray(ae.encoder.conv_in.kernel[...])
    assert bf16_weight.dtype == np.float32 and 0 < max_diff(bf16_weight, f32_weight) < 1e-2


def test_weights_that_do_not_fit_the_config_are_refused(converted, tmp_path):
    _, folder, _, _ = converted
    config = json.loads((folder / "config.json").read_text())
    config["layers_per_block"] = 2
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "diffusion_pytorch_model.safetensors").write_bytes(
        (folder / "diffusion_pytorch_model.safetensors").read_bytes())
    with pytest.raises(ConversionError, match=r"missing 32 weights of .*encoder\.down_blocks\.0\.resnets\.1\b"):
        load_from_diffusers(str(tmp_path))


def test_unsupported_folders_say_why(tmp_path):
    with pytest.raises(ConversionError, match="no config.json"):
        load_from_diffusers(str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"_class_name": "VQModel"}))
    with pytest.raises(ConversionError, match="'VQModel' is not supported"):
        load_from_diffusers(str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"_class_name": "AutoencoderKL"}))
    with pytest.raises(ConversionError, match="no .safetensors"):
        load_from_diffusers(str(tmp_path))


def test_per_frame_video_mode_shapes_and_decode():
    from model.autoencoder import KLArch
    ae = build_autoencoder(KLArch(block_out_channels=[32, 64], layers_per_block=1, norm_num_groups=8), seed=0)
    clips = jnp.asarray(pixels((2, 3, 16, 16, 3)))
    mean, logvar = encode_video(ae, clips)
    assert mean.shape == logvar.shape == (2, 3, 8, 8, 4)
    # frame by frame: frame 1 of clip 1 encodes as that image alone
    assert max_diff(mean[1, 1], encode(ae, clips[1, 1][None])[0][0]) < 1e-5
    assert decode_video(ae, mean).shape == clips.shape
