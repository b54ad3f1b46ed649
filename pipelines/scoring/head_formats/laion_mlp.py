"""`laion_mlp`: the christophschuhmann/improved-aesthetic-predictor MLP, exactly as that project defines and
publishes it (e.g. sac+logos+ava1-l14-linearMSE.pth): an nn.Sequential named `layers`,
Linear(D,1024) Dropout(0.2) Linear(1024,128) Dropout(0.2) Linear(128,64) Dropout(0.1) Linear(64,16) Linear(16,1),
so the state-dict keys are layers.{0,2,4,6,7}.{weight,bias}. Its published weights expect ViT-L-14 (D=768)."""
from __future__ import annotations

import torch
from torch import nn

from pipelines.scoring.head_formats import register_head_format


class LaionAestheticMLP(nn.Module):
    """The improved-aesthetic-predictor MLP; attribute and index names match its published state dicts."""

    def __init__(self, input_size: int = 768):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(input_size, 1024), nn.Dropout(0.2),
            nn.Linear(1024, 128), nn.Dropout(0.2),
            nn.Linear(128, 64), nn.Dropout(0.1),
            nn.Linear(64, 16),
            nn.Linear(16, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


@register_head_format("laion_mlp", input_key="layers.0.weight")
def build(input_size: int) -> nn.Module:
    return LaionAestheticMLP(input_size)
