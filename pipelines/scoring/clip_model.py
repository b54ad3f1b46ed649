"""Build an open_clip model from config, from local weights only.

`pretrained` is one of:
  * a pretrained tag of the architecture (e.g. ViT-B-32 / laion2b_s34b_b79k): used only if the weights are already
    in the local cache (Hugging Face hub cache or open_clip's ~/.cache/clip). open_clip itself would download them;
    we look in the cache first and hand open_clip the file, so an offline worker fails with a message that says
    how to fetch them instead of hanging on the network or, worse, scoring with a random model;
  * a checkpoint file (local path or gs:// URI), loaded strictly: a state dict for another architecture is an
    error naming both;
  * `untrained`: random weights from a fixed seed, identical in every worker process (so embeddings from two
    workers are comparable), marked `<name>/untrained` in every provenance string. For tests and the offline demo.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import torch

from framesift.vocabulary import UNTRAINED, is_untrained
from pipelines.scoring.weights import WeightsError, check_exists, file_digest, is_remote, local_path

UNTRAINED_SEED = 0
_PREPROCESS_KEYS = ("mean", "std", "interpolation", "resize_mode")
_CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors", ".npz", ".ckpt")


@dataclass(frozen=True)
class ClipSpec:
    model: str = "ViT-B-32"
    pretrained: str = UNTRAINED
    model_config_dir: Optional[str] = None      # extra architecture JSONs, registered with open_clip.add_model_config
    cache_dir: Optional[str] = None             # where tagged weights were cached (default: HF / open_clip caches)
    device: str = "cpu"


@dataclass
class LoadedClip:
    model: torch.nn.Module
    preprocess: Callable[[Any], torch.Tensor]   # PIL image -> (3, S, S) tensor, the model's own eval transform
    tokenizer: Callable[[list[str]], torch.Tensor]
    provenance: str                             # "<name>/<tag>", "<name>/<file>@<sha256[:12]>" or "<name>/untrained"
    embed_dim: int
    image_size: int
    device: torch.device

    @property
    def untrained(self) -> bool:
        return is_untrained(self.provenance)


def _register_configs(config_dir: Optional[str]) -> None:
    import open_clip
    from open_clip import factory
    if not config_dir:
        return
    path = Path(config_dir).expanduser()
    if not path.is_dir():
        raise WeightsError(f"scoring.model_config_dir '{config_dir}' is not a directory of open_clip model JSONs")
    if path not in factory._MODEL_CONFIG_PATHS:
        open_clip.add_model_config(path)


def _cached_tag_file(name: str, tag: str, cfg: dict, cache_dir: Optional[str]) -> str:
    """The cached weights of a pretrained tag, without touching the network."""
    if cfg.get("file") and os.path.isfile(cfg["file"]):
        return cfg["file"]
    looked = []
    if cfg.get("hf_hub"):
        from huggingface_hub import try_to_load_from_cache
        from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME
        repo, filename = os.path.split(cfg["hf_hub"])   # "org/repo/" -> default file names, as open_clip does
        names = [HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME] if not filename else (
            [os.path.splitext(filename)[0] + ".safetensors", filename] if filename.endswith((".bin", ".pth"))
            else [filename])
        for fn in names:
            found = try_to_load_from_cache(repo, fn, cache_dir=cache_dir)
            if isinstance(found, str) and os.path.isfile(found):
                return found
            looked.append(f"hf-hub {repo}/{fn}")
    if cfg.get("url"):
        candidate = os.path.join(cache_dir or os.path.expanduser("~/.cache/clip"), os.path.basename(cfg["url"]))
        if os.path.isfile(candidate):
            return candidate
        looked.append(candidate)
    raise WeightsError(
        f"open_clip weights {name}/{tag} are not in the local cache (looked for {'; '.join(looked) or 'nothing'}). "
        f"framesift never downloads weights while scoring: on a machine with network access run "
        f"`python -c \"import open_clip; open_clip.create_model('{name}', pretrained='{tag}')\"` and copy the cache "
        f"(~/.cache/huggingface, or point scoring.cache_dir at it), or set scoring.pretrained to a local or gs:// "
        f"checkpoint file. scoring.pretrained=untrained gives random weights, for tests and the offline demo only.")


def _model_config(spec: ClipSpec) -> dict:
    import open_clip
    _register_configs(spec.model_config_dir)
    model_cfg = open_clip.get_model_config(spec.model)
    if model_cfg is None:
        raise WeightsError(f"unknown open_clip architecture '{spec.model}' (see open_clip.list_models(); a custom "
                           f"JSON config goes in scoring.model_config_dir)")
    return model_cfg


def _checkpoint_file(name: str, pretrained: str) -> str:
    """`pretrained` as a checkpoint path, or an error when it is neither a tag nor looks like a path."""
    import open_clip
    looks_like_path = (is_remote(pretrained) or os.sep in pretrained or pretrained.endswith(_CHECKPOINT_SUFFIXES)
                       or os.path.exists(pretrained))
    if not looks_like_path:
        tags = open_clip.list_pretrained_tags_by_model(name)
        raise WeightsError(f"open_clip {name}: '{pretrained}' is neither a pretrained tag of this architecture "
                           f"(tags: {', '.join(tags) or 'none'}) nor a checkpoint file; use a tag, a path, "
                           f"or 'untrained'")
    return pretrained


def _resolve(name: str, pretrained: str, cache_dir: Optional[str]) -> tuple[Optional[str], str, dict]:
    """(checkpoint file or None, provenance, tag config) for a `pretrained` setting."""
    import open_clip
    if pretrained == UNTRAINED:
        return None, f"{name}/{UNTRAINED}", {}
    tag_cfg = open_clip.get_pretrained_cfg(name, pretrained)
    if tag_cfg:
        return _cached_tag_file(name, pretrained, tag_cfg, cache_dir), f"{name}/{pretrained}", tag_cfg
    path = local_path(_checkpoint_file(name, pretrained), f"open_clip {name}")
    return path, f"{name}/{os.path.basename(path)}@{file_digest(path)}", {}


def check_clip_weights(spec: ClipSpec) -> None:
    """At pipeline launch: the same errors load_clip would raise on a worker, without building the model or
    copying/hashing a checkpoint, so a missing file stops the job before any worker starts."""
    import open_clip
    _model_config(spec)
    if spec.pretrained == UNTRAINED:
        return
    tag_cfg = open_clip.get_pretrained_cfg(spec.model, spec.pretrained)
    if tag_cfg:
        _cached_tag_file(spec.model, spec.pretrained, tag_cfg, spec.cache_dir)
    else:
        check_exists(_checkpoint_file(spec.model, spec.pretrained), f"open_clip {spec.model}")


def load_clip(spec: ClipSpec) -> LoadedClip:
    """The model in eval mode on `spec.device`, with its eval preprocessing and tokenizer."""
    import open_clip
    model_cfg = _model_config(spec)
    if spec.device.startswith("cuda") and not torch.cuda.is_available():
        raise WeightsError(f"scoring.device is '{spec.device}' but torch sees no CUDA device; use cpu")
    checkpoint, provenance, tag_cfg = _resolve(spec.model, spec.pretrained, spec.cache_dir)
    kwargs = dict(pretrained=checkpoint, device="cpu", pretrained_text=False,
                  # weights trained with QuickGELU (the OpenAI tags) give wrong embeddings under plain GELU
                  force_quick_gelu=bool(tag_cfg.get("quick_gelu", False)),
                  **{f"image_{k}": tag_cfg[k] for k in _PREPROCESS_KEYS if k in tag_cfg})
    try:
        if checkpoint is None:
            with torch.random.fork_rng(devices=[]):     # same random weights in every process, RNG left untouched
                torch.manual_seed(UNTRAINED_SEED)
                model, _, preprocess = open_clip.create_model_and_transforms(spec.model, **kwargs)
        else:
            model, _, preprocess = open_clip.create_model_and_transforms(spec.model, **kwargs)
    except WeightsError:
        raise
    except RuntimeError as e:
        if checkpoint is None:
            raise WeightsError(f"open_clip {spec.model}: cannot build the architecture: {str(e)[:400]}") from e
        first = str(e).strip().splitlines()[0][:400]
        raise WeightsError(f"open_clip {spec.model}: checkpoint '{spec.pretrained}' does not fit this architecture "
                           f"({first}); check that scoring.clip_model names the architecture the checkpoint was "
                           f"trained for") from e
    except Exception as e:
        raise WeightsError(f"open_clip {spec.model}: cannot load checkpoint '{spec.pretrained}': "
                           f"{type(e).__name__}: {str(e)[:400]}") from e
    try:
        tokenizer = open_clip.get_tokenizer(spec.model)
    except Exception as e:
        raise WeightsError(f"open_clip {spec.model}: cannot build its tokenizer offline: "
                           f"{type(e).__name__}: {e}") from e
    device = torch.device(spec.device)
    image_size = model_cfg["vision_cfg"].get("image_size", 224)
    return LoadedClip(model=model.to(device).eval(), preprocess=preprocess, tokenizer=tokenizer,
                      provenance=provenance, embed_dim=int(model_cfg["embed_dim"]),
                      image_size=int(image_size if isinstance(image_size, int) else max(image_size)), device=device)
