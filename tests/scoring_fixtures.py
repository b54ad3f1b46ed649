"""A tiny open_clip architecture the tests register, build and save themselves (no weights exist offline)."""
import json

import numpy as np
import skimage.data

TINY_CLIP = "framesift-tiny-clip"
TINY_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "head_width": 32, "patch_size": 8},
    # the real BPE vocabulary size: open_clip's bundled tokenizer is used as is
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


def write_tiny_config(directory) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{TINY_CLIP}.json").write_text(json.dumps(TINY_CONFIG))
    return str(directory)


def gray_to_rgb(a: np.ndarray) -> np.ndarray:
    return np.stack([a] * 3, -1) if a.ndim == 2 else a


def photo_items() -> list[tuple[str, np.ndarray, str | None]]:
    """(item_id, rgb, caption): real photos of different sizes, some captioned."""
    return [
        ("astronaut", skimage.data.astronaut(), "an astronaut in a spacesuit"),
        ("coffee", skimage.data.coffee(), None),
        ("chelsea", skimage.data.chelsea(), "a cat"),
        ("rocket", skimage.data.rocket(), ""),
        ("camera", gray_to_rgb(skimage.data.camera()), "a man with a camera"),
    ]


def fast_curate_config(config_dir):
    """configs/curate.yaml, but model scoring runs the tiny untrained architecture through the same RunInference
    path: the default ViT-B-32 takes minutes on the demo corpus."""
    from framesift.config import load_config
    cfg = load_config("curate")
    cfg.scoring.clip_model = TINY_CLIP
    cfg.scoring.model_config_dir = write_tiny_config(config_dir)
    return cfg
