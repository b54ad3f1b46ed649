"""Config loading: YAML + `--set` overrides -> typed dataclasses (see jobs.py)."""
from framesift.config.jobs import JOBS, CurateConfig, DiffusionConfig, EncodeConfig, ReviewConfig, AutoencoderConfig
from framesift.config.loader import config_hash, config_to_yaml, load_config
from framesift.config.typed import ConfigError, from_dict, to_dict

__all__ = ["JOBS", "CurateConfig", "DiffusionConfig", "EncodeConfig", "ReviewConfig", "AutoencoderConfig",
           "ConfigError", "config_hash", "config_to_yaml", "from_dict", "load_config", "to_dict"]
