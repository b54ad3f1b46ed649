"""The per-item work of the curate job as DoFns (the work itself is in item_work.py, which only the process that
runs it imports: item_analyzer.py). Filters are built in
`setup`, once per worker, never per element; counters feed the Dataflow UI.

Each DoFn emits the manifest record (scores, quality decision) and, when model scoring is on, a small copy of the
picture on the "score" output for RunInference; the decision is re-made once the model scores are joined back.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from framesift.config import CurateConfig
from framesift.schemas import ManifestRow
from framesift.vocabulary import DEAD_SCORE_MODELS, REASON_MODEL_FAILED, STAGE_SCORE_MODELS
from framesift.schemas.columns import Col
from pipelines.curate import item_analyzer
from pipelines.curate.decide import finish_row
from pipelines.curate.sidecar import lookup
from pipelines.filters import curate_filters
from pipelines.media.helper_process import acquire_shared_pool, release_shared_pool

NAMESPACE = "framesift"
SCORE_TAG = "score"


class _AnalyzerDoFn(beam.DoFn):
    """Runs item_analyzer.ItemAnalyzer's methods, in a decoder helper process when `isolated` (the default: a native
    crash then costs one input, see pipelines/media/helper_process.py) or in this process. The DoFns of one job
    share the same helper; it starts on first use, so a job without videos never starts one for them."""

    def __init__(self, cfg: CurateConfig, run_dir: str, isolated: bool, input_root: str = ""):
        self.cfg, self.run_dir, self.isolated, self.input_root = cfg, run_dir, isolated, input_root

    def setup(self):
        analyzer = item_analyzer.ItemAnalyzer(self.cfg, self.run_dir, self.input_root)
        self.pool = None
        if self.isolated:
            self.pool = acquire_shared_pool(analyzer)
            self.work = self.pool.call
        else:
            analyzer.setup()
            self.work = lambda method, *args: getattr(analyzer, method)(*args)

    def teardown(self):
        if self.pool is not None:
            release_shared_pool(self.pool)
            self.pool = None


class _CurateDoFn(_AnalyzerDoFn):
    def __init__(self, cfg: CurateConfig, run_dir: str, config_hash: str, isolated: bool, input_root: str = ""):
        super().__init__(cfg, run_dir, isolated, input_root)
        self.config_hash = config_hash

    def setup(self):
        super().setup()
        self.filters = curate_filters(self.cfg)      # for the decision, made here
        if self.cfg.scoring.enabled:
            from pipelines.scoring.scorer import scoring_side, shrink_for_clip
            self.shrink, self.scoring_side = shrink_for_clip, scoring_side(self.cfg.scoring)

    def _emit(self, row: ManifestRow, picture, sidecar):
        row = finish_row(row, self.filters, lookup(sidecar, row.source_uri), self.config_hash)
        if self.cfg.scoring.enabled:
            yield beam.pvalue.TaggedOutput(
                SCORE_TAG, (row.item_id, self.shrink(picture, self.scoring_side), row.caption))
        yield row.to_record()


class AnalyzeImage(_CurateDoFn):
    """uri -> one manifest record (+ a picture to score)."""

    def process(self, uri: str, sidecar):
        row, picture = self.work("analyze_image", uri)
        Metrics.counter(NAMESPACE, "images").inc()
        yield from self._emit(row, picture, sidecar)


class SplitVideo(_AnalyzerDoFn):
    """uri -> one task per clip."""

    def process(self, uri: str):
        tasks = self.work("split_video", uri)
        Metrics.counter(NAMESPACE, "videos").inc()
        Metrics.counter(NAMESPACE, "hard_cuts").inc(tasks[0]["cuts"])
        Metrics.counter(NAMESPACE, f"shot_detector_{tasks[0]['shot_detector']}").inc()
        yield from tasks


class AnalyzeClip(_CurateDoFn):
    """clip task -> one manifest record (+ its keyframe to score), with a keyframe and an animated preview."""

    def process(self, task: dict, sidecar):
        row, keyframe = self.work("analyze_clip", task)
        Metrics.counter(NAMESPACE, "clips").inc()
        yield from self._emit(row, keyframe, sidecar)


class MergeModelScores(beam.DoFn):
    """(item_id, {"row": [record], "model": [result], "failure": [message]}) -> the record with the model scores and
    a re-made decision; an item whose batch failed in the model keeps its other scores and gets a dead letter."""
    DEAD = "dead"

    def __init__(self, cfg: CurateConfig, config_hash: str):
        self.cfg, self.config_hash = cfg, config_hash

    def setup(self):
        from pipelines.curate.decide import apply_decision
        from pipelines.scoring.transform import attach_model_outputs
        self.filters = curate_filters(self.cfg)
        self.apply_decision, self.attach = apply_decision, attach_model_outputs

    def process(self, element):
        from framesift.schemas import DeadLetter
        _, grouped = element
        for record in grouped["row"]:
            row = ManifestRow.from_record(record)
            for message in grouped["failure"]:
                Metrics.counter(NAMESPACE, f"dead_letter_{DEAD_SCORE_MODELS}").inc()
                error_type, _, text = message.partition(": ")
                yield beam.pvalue.TaggedOutput(self.DEAD, DeadLetter(
                    uri=row.source_uri, stage=DEAD_SCORE_MODELS, error_type=error_type, message=text,
                    detail=f"item {row.item_id}", config_hash=self.config_hash).to_json())
            if grouped["failure"]:
                # unscored is not the same as passing: an NSFW check that could not run must not let the item in
                from framesift.schemas import Rejection
                row.reject_reasons.append(Rejection(stage=STAGE_SCORE_MODELS, name=STAGE_SCORE_MODELS,
                                                    score_key="model", score=None, op="max", threshold=None,
                                                    reason=REASON_MODEL_FAILED))
            self.attach(row, grouped["model"][0] if grouped["model"] else None)
            yield self.apply_decision(row, self.filters).to_record()


def count_decision(record: dict) -> dict:
    """Final kept/rejected counters, after every stage (filters, models, dedupe) has had its say."""
    Metrics.counter(NAMESPACE, "items_kept" if record[Col.KEEP] else "items_rejected").inc()
    for r in record[Col.REJECT_REASONS]:
        Metrics.counter(NAMESPACE, f"rejected_{r['name']}_{r['reason']}").inc()
    return record
