"""diffusers `save_pretrained` folder -> framesift autoencoder checkpoint, refusing one that disagrees with the
original (the body of `framesift convert-vae`)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

from model.autoencoder.checkpoint import save_autoencoder
from model.autoencoder.diffusers_folder import ConversionError, arch_from_diffusers, read_config, read_weights
from model.autoencoder.diffusers_parity import DEFAULT_TOLERANCE, compare_with_diffusers, diffusers_importable
from model.autoencoder.diffusers_weights import load_diffusers_weights


@dataclass
class ConversionResult:
    ae: object
    class_name: str
    parity: Optional[dict] = None       # {"mean": max|diff|, "decoded": max|diff|}, None when not checked
    skipped_because: Optional[str] = None
    written: Optional[str] = None
    notes: list = field(default_factory=list)


def load_from_diffusers(folder: str):
    """(autoencoder, diffusers class name) from a diffusers folder, no PyTorch needed."""
    raw = read_config(folder)
    config = arch_from_diffusers(raw)
    return load_diffusers_weights(config, read_weights(folder)), raw["_class_name"]


def convert(folder: str, output: str, check: bool = True, tolerance: float = DEFAULT_TOLERANCE,
            overwrite: bool = False) -> ConversionResult:
    """Convert, compare with diffusers when it is importable, and write only if within `tolerance`."""
    if not os.path.isdir(folder):
        raise ConversionError(f"{folder} is not a directory")
    if os.path.exists(output) and not overwrite:
        raise FileExistsError(f"{output} exists (pass --overwrite to replace it)")
    ae, class_name = load_from_diffusers(folder)
    result = ConversionResult(ae, class_name)
    if not check:
        result.skipped_because = "--no-check"
    elif not diffusers_importable():
        result.skipped_because = "torch/diffusers are not importable here"
    else:
        result.parity = compare_with_diffusers(folder, ae)
        worst = max(result.parity.values())
        if worst > tolerance:
            return result               # nothing written: the caller reports the failure
    source = {"diffusers_folder": os.path.abspath(folder), "diffusers_class": class_name,
              "parity_max_abs_diff": result.parity, "parity_tolerance": tolerance if result.parity else None}
    result.written = save_autoencoder(ae, output, source=source, overwrite=overwrite)
    return result
