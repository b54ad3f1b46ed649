"""Read a diffusers `save_pretrained` folder without PyTorch: its config.json and safetensors weights as numpy.

Weights are read with safetensors' numpy API; bfloat16 tensors (FLUX and Wan VAEs ship in bf16), which numpy
cannot name, are read from the file's own header and byte ranges as ml_dtypes.bfloat16 and widened to float32.
"""
from __future__ import annotations

import glob
import json
import os
import struct

import numpy as np

from framesift.config.autoencoder import KLArch, WanArch

WEIGHTS_NAME = "diffusion_pytorch_model.safetensors"
INDEX_NAME = WEIGHTS_NAME + ".index.json"
SUPPORTED = ("AutoencoderKL", "AutoencoderKLWan")


class ConversionError(ValueError):
    """The folder is not something convert-vae can turn into a framesift checkpoint; the message says why."""


def read_config(folder: str) -> dict:
    path = os.path.join(folder, "config.json")
    if not os.path.isfile(path):
        raise ConversionError(f"{folder}: no config.json (expected a diffusers save_pretrained folder; for a "
                              f"full pipeline pass its vae/ subfolder)")
    with open(path, encoding="utf-8") as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise ConversionError(f"{path}: not valid JSON ({e})") from None


def weight_files(folder: str) -> list[str]:
    """The safetensors file(s) holding the weights: the index's shards, the default name, or a lone variant
    (e.g. diffusion_pytorch_model.fp16.safetensors)."""
    index = os.path.join(folder, INDEX_NAME)
    if os.path.isfile(index):
        with open(index, encoding="utf-8") as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        return [os.path.join(folder, s) for s in shards]
    if os.path.isfile(os.path.join(folder, WEIGHTS_NAME)):
        return [os.path.join(folder, WEIGHTS_NAME)]
    found = sorted(glob.glob(os.path.join(folder, "*.safetensors")))
    if len(found) == 1:
        return found
    if not found:
        bins = glob.glob(os.path.join(folder, "*.bin"))
        hint = (" (only PyTorch pickles: re-save with diffusers' save_pretrained(..., safe_serialization=True))"
                if bins else "")
        raise ConversionError(f"{folder}: no .safetensors weights{hint}")
    raise ConversionError(f"{folder}: several weight files and no {INDEX_NAME}: {[os.path.basename(p) for p in found]}")


def _read_bf16(path: str, names: list[str]) -> dict[str, np.ndarray]:
    import ml_dtypes

    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        base = 8 + header_len
        out = {}
        for name in names:
            info = header[name]
            start, end = info["data_offsets"]
            f.seek(base + start)
            raw = np.frombuffer(f.read(end - start), dtype=ml_dtypes.bfloat16)
            out[name] = raw.reshape(info["shape"]).astype(np.float32)
    return out


def read_weights(folder: str) -> dict[str, np.ndarray]:
    from safetensors import safe_open

    weights: dict[str, np.ndarray] = {}
    for path in weight_files(folder):
        bf16 = []
        with safe_open(path, framework="numpy") as f:
            for name in f.keys():
                try:
                    weights[name] = f.get_tensor(name)
                except TypeError:       # numpy has no bfloat16 dtype
                    bf16.append(name)
        weights.update(_read_bf16(path, bf16))
    return {k: np.asarray(v, dtype=np.float32) if v.dtype != np.float32 else v for k, v in weights.items()}


def _kl_arch(cfg: dict) -> KLArch:
    blocks = list(cfg.get("block_out_channels", [64]))
    downs = list(cfg.get("down_block_types", ["DownEncoderBlock2D"]))
    ups = list(cfg.get("up_block_types", ["UpDecoderBlock2D"]))
    if any(t != "DownEncoderBlock2D" for t in downs) or any(t != "UpDecoderBlock2D" for t in ups):
        raise ConversionError(f"unsupported block types {downs} / {ups} (only DownEncoderBlock2D/UpDecoderBlock2D)")
    if len(downs) != len(blocks) or len(ups) != len(blocks):
        raise ConversionError(f"{len(downs)} down / {len(ups)} up blocks for {len(blocks)} block_out_channels")
    if cfg.get("act_fn", "silu") != "silu":
        raise ConversionError(f"act_fn {cfg['act_fn']!r} is not supported (only silu)")
    return KLArch(in_channels=cfg.get("in_channels", 3), out_channels=cfg.get("out_channels", 3),
                  latent_channels=cfg.get("latent_channels", 4), block_out_channels=blocks,
                  layers_per_block=cfg.get("layers_per_block", 1), norm_num_groups=cfg.get("norm_num_groups", 32),
                  use_quant_conv=cfg.get("use_quant_conv", True),
                  use_post_quant_conv=cfg.get("use_post_quant_conv", True),
                  mid_block_add_attention=cfg.get("mid_block_add_attention", True),
                  scaling_factor=float(cfg.get("scaling_factor", 0.18215)),
                  shift_factor=float(cfg.get("shift_factor") or 0.0),
                  latents_mean=cfg.get("latents_mean"), latents_std=cfg.get("latents_std"))


def _wan_arch(cfg: dict) -> WanArch:
    if cfg.get("is_residual", False) or cfg.get("patch_size") is not None:
        raise ConversionError("Wan 2.2-style VAEs (is_residual / patch_size) are not supported; Wan 2.1's is")
    z_dim = cfg.get("z_dim", 16)
    mean, std = cfg.get("latents_mean"), cfg.get("latents_std")
    for name, values in (("latents_mean", mean), ("latents_std", std)):
        if values is not None and len(values) != z_dim:
            raise ConversionError(f"config.json {name} has {len(values)} values for z_dim {z_dim}")
    return WanArch(in_channels=cfg.get("in_channels", 3), out_channels=cfg.get("out_channels", 3),
                   base_dim=cfg.get("base_dim", 96), decoder_base_dim=cfg.get("decoder_base_dim"), z_dim=z_dim,
                   dim_mult=list(cfg.get("dim_mult", [1, 2, 4, 4])), num_res_blocks=cfg.get("num_res_blocks", 2),
                   attn_scales=[float(s) for s in cfg.get("attn_scales", [])],
                   temperal_downsample=[bool(t) for t in cfg.get("temperal_downsample", [False, True, True])],
                   latents_mean=mean, latents_std=std)


def arch_from_diffusers(cfg: dict):
    """A diffusers config.json dict -> KLArch / WanArch, or ConversionError naming what does not fit."""
    name = cfg.get("_class_name")
    if name not in SUPPORTED:
        raise ConversionError(f"config.json _class_name {name!r} is not supported (supported: {', '.join(SUPPORTED)})")
    try:
        return _kl_arch(cfg) if name == "AutoencoderKL" else _wan_arch(cfg)
    except (TypeError, ValueError) as e:
        if isinstance(e, ConversionError):
            raise
        raise ConversionError(f"config.json does not describe a valid {name}: {e}") from None
