"""The training schedule every trainer's `train:` section shares: steps, batch, optimizer, warm-up, seed, how often
to log and checkpoint and how many checkpoints to keep. Defined once here; each trainer subclasses it with its own
defaults and adds only what is its own (the autoencoder's eval interval, the diffusion trainer's EMA and data
reading), so the keys users write stay the same for both."""
from __future__ import annotations

from dataclasses import dataclass

from framesift.config.typed import require


@dataclass
class TrainSchedule:
    steps: int = 1000
    batch_size: int = 8
    learning_rate: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.0
    grad_clip: float = 1.0          # global-norm clip; 0: off
    seed: int = 0
    log_every: int = 50
    checkpoint_every: int = 500
    keep_checkpoints: int = 3

    def __post_init__(self):
        for name in ("steps", "batch_size", "log_every", "checkpoint_every", "keep_checkpoints"):
            require(getattr(self, name) >= 1, f"train.{name}: must be >= 1, got {getattr(self, name)}")
