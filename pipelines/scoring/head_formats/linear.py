"""`linear`: one nn.Linear(D, 1) state dict, keys `weight` (1, D) and `bias` (1,) (a logistic-regression probe;
with `activation: sigmoid` its logit reads as a probability)."""
from __future__ import annotations

from torch import nn

from pipelines.scoring.head_formats import register_head_format


@register_head_format("linear", input_key="weight")
def build(input_size: int) -> nn.Module:
    return nn.Linear(input_size, 1)
