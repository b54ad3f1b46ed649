"""Filters register by name; configs select them by that name (`filters: {sharpness: {min: 0.01}}`).

Every module in this package is imported once so that adding a filter is one new file plus one config line.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from framesift.config import ConfigError, from_dict
from pipelines.filters.base import Filter

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


def build_filters(config: dict[str, dict[str, Any]]) -> list[Filter]:
    """Instantiate the configured filters in config order; unknown names and bad params name the key."""
    _import_all()
    filters, owners = [], {}
    for name, params in config.items():
        if name not in FILTERS:
            raise ConfigError(f"unknown config key 'filters.{name}': no such filter (known: {', '.join(sorted(FILTERS))})")
        cls = FILTERS[name]
        instance = cls(from_dict(cls.Params, params, f"filters.{name}"))
        for check in cls.checks:
            if owners.setdefault(check.score_key, name) != name:
                raise ValueError(f"score '{check.score_key}' produced by both {owners[check.score_key]} and {name}")
        filters.append(instance)
    return filters
