"""The per-item work of the curate job as DoFns (the work itself is in item_work.py). Filters (and later models)
are built in `setup`, once per worker, never per element; counters feed the Dataflow UI."""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from framesift.config import CurateConfig
from framesift.schemas import ManifestRow
from pipelines.curate import item_work
from pipelines.curate.sidecar import lookup
from pipelines.filters import build_filters

NAMESPACE = "framesift"


class _CurateDoFn(beam.DoFn):
    def __init__(self, cfg: CurateConfig, run_dir: str, config_hash: str):
        self.cfg, self.run_dir, self.config_hash = cfg, run_dir, config_hash

    def setup(self):
        self.filters = build_filters(self.cfg.filters)
        self.kept = Metrics.counter(NAMESPACE, "items_kept")
        self.rejected = Metrics.counter(NAMESPACE, "items_rejected")

    def _finish(self, row: ManifestRow, sidecar) -> dict:
        row = item_work.finish_row(row, self.filters, lookup(sidecar, row.source_uri), self.config_hash)
        (self.kept if row.keep else self.rejected).inc()
        for r in row.reject_reasons:
            Metrics.counter(NAMESPACE, f"rejected_{r.name}_{r.reason}").inc()
        return row.to_record()


class AnalyzeImage(_CurateDoFn):
    """uri -> one manifest row."""

    def process(self, uri: str, sidecar):
        row = item_work.analyze_image(uri, self.cfg, self.filters, self.run_dir)
        Metrics.counter(NAMESPACE, "images").inc()
        yield self._finish(row, sidecar)


class SplitVideo(beam.DoFn):
    """uri -> one task per clip."""

    def __init__(self, cfg: CurateConfig):
        self.cfg = cfg

    def process(self, uri: str):
        tasks = item_work.split_video(uri, self.cfg)
        Metrics.counter(NAMESPACE, "videos").inc()
        Metrics.counter(NAMESPACE, "hard_cuts").inc(tasks[0]["cuts"])
        yield from tasks


class AnalyzeClip(_CurateDoFn):
    """clip task -> one manifest row, with a keyframe and an animated preview."""

    def process(self, task: dict, sidecar):
        row = item_work.analyze_clip(task, self.cfg, self.filters, self.run_dir)
        Metrics.counter(NAMESPACE, "clips").inc()
        yield self._finish(row, sidecar)
