"""Score-head formats by name. `scoring.heads.<score>: {weights, format, activation}` in the config names one;
every module in this package is imported once, so a new format is one module here and a head using it one config
line, with nothing else to change. Two kinds:

  * embedding heads (`register_head_format`, see linear.py): a network on the CLIP image embedding, built for the
    embedding size and filled from a state dict;
  * picture heads (`register_picture_head_format`, see open_nsfw.py): a whole trained classifier that reads the
    picture itself (e.g. open_nsfw); it runs in the same batched model call as CLIP, on the same frames.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence, Union

import numpy as np
from torch import nn


@dataclass(frozen=True)
class HeadFormat:
    name: str
    build: Callable[[int], nn.Module]       # embedding size -> a module mapping (N, D) to (N, 1)
    input_key: str                          # the 2-d state-dict tensor whose second dimension is D


class PictureModel(Protocol):
    provenance: str                         # "<format>:<file>@<sha256[:12]>"

    def __call__(self, pictures: Sequence[np.ndarray]) -> np.ndarray:
        """RGB uint8 (H, W, 3) pictures -> (N,) float scores."""


@dataclass(frozen=True)
class PictureHeadFormat:
    name: str
    load: Callable[[str, str], PictureModel]    # (weights setting, device) -> the loaded model
    check: Callable[[str], None]                # launch-time: raise WeightsError if `weights` cannot load; no model
    min_side: int                               # shorter side a picture needs to reach the model without upscaling


HEAD_FORMATS: dict[str, Union[HeadFormat, PictureHeadFormat]] = {}


def _add(fmt: Union[HeadFormat, PictureHeadFormat]) -> None:
    if HEAD_FORMATS.get(fmt.name, fmt) != fmt:
        raise ValueError(f"head format '{fmt.name}' registered twice")
    HEAD_FORMATS[fmt.name] = fmt


def register_head_format(name: str, input_key: str):
    """Decorator on `build(input_size) -> nn.Module`."""
    def register(build: Callable[[int], nn.Module]) -> Callable[[int], nn.Module]:
        _add(HeadFormat(name, build, input_key))
        return build
    return register


def register_picture_head_format(name: str, check: Callable[[str], None], min_side: int):
    """Decorator on `load(weights, device) -> PictureModel`."""
    def register(load: Callable[[str, str], PictureModel]) -> Callable[[str, str], PictureModel]:
        _add(PictureHeadFormat(name, load, check, min_side))
        return load
    return register


def head_formats() -> dict[str, Union[HeadFormat, PictureHeadFormat]]:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return HEAD_FORMATS
