"""Autoencoder architectures and the `train-autoencoder` job config.

The architecture dataclasses are the one definition of what a framesift autoencoder checkpoint is: they are
saved as JSON beside the weights (model/autoencoder/checkpoint.py), filled from a diffusers `config.json` by
`convert-vae`, and read from the training YAML. Field names follow diffusers' config keys, so a reader of either
file recognises the other.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

from framesift.config.schedule import TrainSchedule
from framesift.config.typed import require as _require


class LatentStats:
    """Latent normalisation shared by both architectures: `(z - shift) * scale`, per channel where the
    checkpoint gives per-channel statistics (latents_mean / latents_std: SDXL-style configs and Wan)."""
    latent_channels: int
    scaling_factor: float
    shift_factor: float
    latents_mean: Optional[list[float]]
    latents_std: Optional[list[float]]

    def latent_shift(self) -> list[float]:
        if self.latents_mean is not None:
            return list(self.latents_mean)
        return [self.shift_factor] * self.latent_channels

    def latent_scale(self) -> list[float]:
        if self.latents_std is not None:
            return [self.scaling_factor / s for s in self.latents_std]
        return [self.scaling_factor] * self.latent_channels

    def _check_stats(self, where: str) -> None:
        for name in ("latents_mean", "latents_std"):
            values = getattr(self, name)
            _require(values is None or len(values) == self.latent_channels,
                     f"{where}.{name}: needs {self.latent_channels} values (one per latent channel), "
                     f"got {None if values is None else len(values)}")
        _require(self.latents_std is None or all(s > 0 for s in self.latents_std),
                 f"{where}.latents_std: every value must be > 0")
        _require(self.scaling_factor > 0, f"{where}.scaling_factor: must be > 0, got {self.scaling_factor}")


@dataclass
class KLArch(LatentStats):
    """diffusers `AutoencoderKL`: SD 1.x/2.x (4 channels, scaling 0.18215), SDXL (0.13025), SD3 and FLUX.1
    (16 channels, no quant convs, a shift)."""
    kind: Literal["kl"] = "kl"
    in_channels: int = 3
    out_channels: int = 3
    latent_channels: int = 4
    block_out_channels: list[int] = field(default_factory=lambda: [128, 256, 512, 512])
    layers_per_block: int = 2
    norm_num_groups: int = 32
    use_quant_conv: bool = True
    use_post_quant_conv: bool = True
    mid_block_add_attention: bool = True
    scaling_factor: float = 0.18215
    shift_factor: float = 0.0
    latents_mean: Optional[list[float]] = None
    latents_std: Optional[list[float]] = None

    def __post_init__(self):
        _require(len(self.block_out_channels) >= 1, "arch.block_out_channels: needs at least one block")
        for c in self.block_out_channels:
            _require(c % self.norm_num_groups == 0,
                     f"arch.block_out_channels: {c} is not a multiple of norm_num_groups {self.norm_num_groups}")
        _require(self.layers_per_block >= 1, f"arch.layers_per_block: must be >= 1, got {self.layers_per_block}")
        _require(self.latent_channels >= 1, f"arch.latent_channels: must be >= 1, got {self.latent_channels}")
        self._check_stats("arch")

    @property
    def downsample_factor(self) -> int:
        return 2 ** (len(self.block_out_channels) - 1)

    @property
    def temporal_factor(self) -> int:
        return 1                    # an image VAE encodes clips frame by frame


@dataclass
class WanArch(LatentStats):
    """diffusers `AutoencoderKLWan` (Wan 2.1 layout): causal 3D convolutions, 4x temporal / 8x spatial."""
    kind: Literal["wan"] = "wan"
    in_channels: int = 3
    out_channels: int = 3
    base_dim: int = 96
    decoder_base_dim: Optional[int] = None
    z_dim: int = 16
    dim_mult: list[int] = field(default_factory=lambda: [1, 2, 4, 4])
    num_res_blocks: int = 2
    attn_scales: list[float] = field(default_factory=list)
    temperal_downsample: list[bool] = field(default_factory=lambda: [False, True, True])   # diffusers' spelling
    scaling_factor: float = 1.0
    shift_factor: float = 0.0
    latents_mean: Optional[list[float]] = None
    latents_std: Optional[list[float]] = None

    def __post_init__(self):
        _require(len(self.temperal_downsample) == len(self.dim_mult) - 1,
                 f"arch.temperal_downsample: needs {len(self.dim_mult) - 1} entries (one per downsampling), "
                 f"got {len(self.temperal_downsample)}")
        _require(self.num_res_blocks >= 1, f"arch.num_res_blocks: must be >= 1, got {self.num_res_blocks}")
        self._check_stats("arch")

    @property
    def latent_channels(self) -> int:
        return self.z_dim

    @property
    def downsample_factor(self) -> int:
        return 2 ** (len(self.dim_mult) - 1)

    @property
    def temporal_factor(self) -> int:
        return 2 ** sum(bool(t) for t in self.temperal_downsample)


ARCHS = {"kl": KLArch, "wan": WanArch}


@dataclass
class AutoencoderSchedule(TrainSchedule):
    """The shared schedule with the autoencoder's defaults, plus how often to evaluate on held-out items."""
    steps: int = 2000
    log_every: int = 25
    eval_every: int = 250
    checkpoint_every: int = 250

    def __post_init__(self):
        super().__post_init__()
        _require(self.eval_every >= 1, f"train.eval_every: must be >= 1, got {self.eval_every}")


@dataclass
class AutoencoderLoss:
    l1_weight: float = 1.0
    ssim_weight: float = 0.2        # weight of (1 - SSIM)
    kl_weight: float = 1e-6
    # patch discriminator (hinge loss), switched on after `disc_start` steps; 0 weight: no discriminator at all
    disc_weight: float = 0.0
    disc_start: int = 1000
    disc_channels: int = 64
    disc_layers: int = 3
    disc_learning_rate: float = 1e-4


@dataclass
class AutoencoderData:
    image_size: int = 256           # training crops are image_size^2 (random crop of the shorter-side resize)
    frames_per_clip: int = 4        # clip rows contribute this many evenly spaced frames each
    # held-out items (lowest item_id hashes, at most a fifth of the set) for PSNR/SSIM/spectra, never trained on
    eval_items: int = 16
    threads: int = 2                # Grain read threads decoding media ahead of the training step

    def __post_init__(self):
        _require(self.image_size >= 8 and self.image_size % 8 == 0,
                 f"data.image_size: must be a multiple of 8, got {self.image_size}")
        _require(self.frames_per_clip >= 1, f"data.frames_per_clip: must be >= 1, got {self.frames_per_clip}")


@dataclass
class AutoencoderConfig:
    """`framesift train-autoencoder --data approved.parquet --workdir W --config configs/autoencoder.yaml`"""
    arch: KLArch = field(default_factory=KLArch)        # ignored with --init: the checkpoint brings its own
    train: AutoencoderSchedule = field(default_factory=AutoencoderSchedule)
    loss: AutoencoderLoss = field(default_factory=AutoencoderLoss)
    data: AutoencoderData = field(default_factory=AutoencoderData)
    init_checkpoint: Optional[str] = None   # a framesift autoencoder checkpoint (convert-vae output) to fine-tune
