"""Score-head formats by name: how to build a head's network for an embedding size, and which state-dict tensor
tells that size. `scoring.heads.<score>: {weights, format, activation}` in the config names one; every module in
this package is imported once, so a new format is one module here (see linear.py) and a head using it one config
line, with nothing else to change."""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from torch import nn


@dataclass(frozen=True)
class HeadFormat:
    name: str
    build: Callable[[int], nn.Module]       # embedding size -> a module mapping (N, D) to (N, 1)
    input_key: str                          # the 2-d state-dict tensor whose second dimension is D


HEAD_FORMATS: dict[str, HeadFormat] = {}


def register_head_format(name: str, input_key: str):
    """Decorator on `build(input_size) -> nn.Module`."""
    def register(build: Callable[[int], nn.Module]) -> Callable[[int], nn.Module]:
        fmt = HeadFormat(name, build, input_key)
        if HEAD_FORMATS.get(name, fmt) != fmt:
            raise ValueError(f"head format '{name}' registered twice")
        HEAD_FORMATS[name] = fmt
        return build
    return register


def head_formats() -> dict[str, HeadFormat]:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return HEAD_FORMATS
