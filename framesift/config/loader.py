"""Load a job config: YAML file -> `--set key=value` overrides -> typed, validated dataclass.

The resolved config (after overrides) is what jobs save next to their outputs, and its hash is stamped on every
manifest row so a row can always be traced to the exact settings that produced it.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
from typing import Any, Iterable, Optional

import yaml

from framesift.config.jobs import JOBS
from framesift.config.typed import ConfigError, from_dict, to_dict

CONFIG_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "configs")


def default_config_path(job: str) -> Optional[str]:
    path = os.path.join(CONFIG_DIR, f"{job}.yaml")
    return path if os.path.exists(path) else None


def parse_override(text: str) -> tuple[list[str], Any]:
    """'filters.sharpness.min=80' -> (['filters', 'sharpness', 'min'], 80); the value is parsed as YAML."""
    if "=" not in text:
        raise ConfigError(f"override '{text}' must look like key.path=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"override '{text}' has an empty key part")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as e:
        raise ConfigError(f"override '{text}': value is not valid YAML ({e.__class__.__name__})") from None
    return key.split("."), value


def apply_overrides(data: dict, overrides: Iterable[str]) -> dict:
    data = copy.deepcopy(data)
    for text in overrides:
        parts, value = parse_override(text)
        node = data
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"override '{text}': '{'.'.join(parts[:i + 1])}' is not a mapping")
            node = child
        node[parts[-1]] = value
    return data


def read_yaml(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"config file {path} is not valid YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    return data


def load_config(job: str, path: Optional[str] = None, overrides: Iterable[str] = ()) -> Any:
    """The typed config for `job`; `path=None` uses configs/<job>.yaml when it exists, else the defaults."""
    if job not in JOBS:
        raise ConfigError(f"unknown job '{job}' (known: {', '.join(JOBS)})")
    path = path or default_config_path(job)
    data = read_yaml(path) if path else {}
    data = apply_overrides(data, overrides)
    return from_dict(JOBS[job], data)


def config_to_yaml(cfg: Any) -> str:
    return yaml.safe_dump(to_dict(cfg), sort_keys=False)


def config_hash(cfg: Any) -> str:
    """Stable across key order and YAML formatting: hash of the canonical JSON of the resolved values."""
    canonical = json.dumps(to_dict(cfg), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
