"""Filters register by name; configs select them by that name (`filters: {sharpness: {min: 0.01}}`).

Every module in this package is imported once so that adding a filter is one new file plus one config line.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Iterable

from framesift.config import ConfigError, from_dict
from pipelines.filters.base import Filter, recorded_score_filter

FILTERS: dict[str, type[Filter]] = {}
_SKIP = {"base", "registry"}


def register_filter(cls: type[Filter]) -> type[Filter]:
    if cls.name in FILTERS and FILTERS[cls.name] is not cls:
        raise ValueError(f"filter name '{cls.name}' registered twice")
    FILTERS[cls.name] = cls
    return cls


def _import_all() -> None:
    import pipelines.filters as package
    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in _SKIP:
            importlib.import_module(f"{package.__name__}.{info.name}")


def build_filters(config: dict[str, dict[str, Any]], recorded_scores: Iterable[str] = ()) -> list[Filter]:
    """Instantiate the configured filters in config order; unknown names and bad params name the key.
    `recorded_scores`: scores the model stage records (its heads); a `filters:` entry named after one that is not a
    registered filter gets the generic threshold filter on that score (model_scores.py)."""
    _import_all()
    recorded = set(recorded_scores)
    filters, owners = [], {}
    for name, params in config.items():
        if name not in FILTERS and name not in recorded:
            raise ConfigError(f"unknown config key 'filters.{name}': no such filter (known: {', '.join(sorted(FILTERS))})")
        cls = FILTERS[name] if name in FILTERS else recorded_score_filter(name)
        instance = cls(from_dict(cls.Params, params, f"filters.{name}"))
        for check in cls.checks:
            if owners.setdefault(check.score_key, name) != name:
                raise ValueError(f"score '{check.score_key}' produced by both {owners[check.score_key]} and {name}")
        filters.append(instance)
    return filters


def curate_filters(cfg) -> list[Filter]:
    """The filters of a CurateConfig: its `filters:` section, with thresholds on its score heads' scores."""
    return build_filters(cfg.filters, cfg.scoring.heads)
