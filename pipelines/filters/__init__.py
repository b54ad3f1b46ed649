"""Quality filters: one small class per module, registered by name (registry.py), configured in configs/."""
from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import FILTERS, build_filters, curate_filters, register_filter

__all__ = ["Check", "Filter", "Sample", "FILTERS", "build_filters", "curate_filters", "register_filter"]
