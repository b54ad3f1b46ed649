"""The curate job's graph, as labelled composite transforms:

  Ingest (match patterns) -> RouteByExtension -> CurateImages / CurateVideos -> ScoreWithModels (RunInference)
    -> DedupeStage -> CountDecisions -> WriteOutputs (manifest, dead letters, embeddings; dedupe index)

Failures at any step become dead-letter records (framesift.schemas.DeadLetter); one bad file never fails the job.
"""
from __future__ import annotations

import os
from typing import Optional

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.metrics import Metrics

from framesift.config import CurateConfig
from framesift.schemas import EMBEDDING_SCHEMA, MANIFEST_SCHEMA, DeadLetter
from framesift.vocabulary import DEAD_ANALYZE_CLIP, DEAD_ANALYZE_IMAGE, DEAD_INGEST, DEAD_SPLIT_VIDEO
from framesift.schemas.columns import Col
from pipelines.curate import run_dir as rd
from pipelines.curate.analyze import (NAMESPACE, SCORE_TAG, AnalyzeClip, AnalyzeImage, MergeModelScores,
                                      SplitVideo, count_decision)
from pipelines.curate.sidecar import read_sidecar


def _dead_letter(stage: str, config_hash: str):
    def convert(failure) -> str:
        element, (exc_type, exc_repr, tb_lines) = failure
        uri = element["uri"] if isinstance(element, dict) else str(element)
        last = (tb_lines[-1].strip() if tb_lines else exc_repr)
        message = last.split(": ", 1)[1] if ": " in last else exc_repr
        record = DeadLetter(uri=uri, stage=stage, error_type=getattr(exc_type, "__name__", str(exc_type)),
                            message=message, detail="".join(tb_lines[-3:])[-1500:], config_hash=config_hash)
        if isinstance(element, dict) and Col.CLIP_INDEX in element:
            start, end = element[Col.START_FRAME], element[Col.END_FRAME]
            record.detail = f"clip {element[Col.CLIP_INDEX]} frames [{start}, {end})"
        Metrics.counter(NAMESPACE, f"dead_letter_{stage}").inc()
        Metrics.counter(NAMESPACE, f"dead_letter_{record.error_type}").inc()
        return record.to_json()
    return convert


class Ingest(beam.PTransform):
    """Glob patterns and literal URIs -> distinct file URIs (Beam FileSystems: local, gs://, ...)."""

    def __init__(self, patterns: list[str], literal_uris: list[str], exclude_prefixes: tuple[str, ...] = ()):
        super().__init__()
        self.patterns, self.literal_uris, self.exclude = patterns, literal_uris, tuple(exclude_prefixes)

    def expand(self, pbegin):
        matched = (pbegin | "Patterns" >> beam.Create(self.patterns)
                   | "Match" >> fileio.MatchAll(fileio.EmptyMatchTreatment.ALLOW)
                   | "Path" >> beam.Map(lambda m: m.path))
        listed = pbegin | "InputList" >> beam.Create(self.literal_uris)
        exclude = self.exclude
        return ((matched, listed) | "All" >> beam.Flatten()
                | "NotRunOutputs" >> beam.Filter(lambda uri: not uri.startswith(exclude))
                | "Distinct" >> beam.Distinct()
                | "Count" >> beam.Map(_count_input) | "Spread" >> beam.Reshuffle())


def _count_input(uri: str) -> str:
    Metrics.counter(NAMESPACE, "inputs").inc()
    return uri


class RouteByExtension(beam.PTransform):
    """Split URIs into images, videos and unsupported (dead letter) by file extension."""

    def __init__(self, cfg: CurateConfig, config_hash: str):
        super().__init__()
        self.images = {e.lower().lstrip(".") for e in cfg.ingest.image_extensions}
        self.videos = {e.lower().lstrip(".") for e in cfg.ingest.video_extensions}
        self.config_hash = config_hash

    def expand(self, uris):
        images, videos = self.images, self.videos

        def route(uri, n):
            ext = os.path.splitext(uri)[1].lower().lstrip(".")
            return 0 if ext in images else 1 if ext in videos else 2
        img, vid, other = uris | "Route" >> beam.Partition(route, 3)
        unsupported = other | "Unsupported" >> beam.Map(_unsupported, self.config_hash)
        return img, vid, unsupported


def _unsupported(uri: str, config_hash: str) -> str:
    Metrics.counter(NAMESPACE, f"dead_letter_{DEAD_INGEST}").inc()
    Metrics.counter(NAMESPACE, "dead_letter_UnsupportedFormat").inc()
    return DeadLetter(uri=uri, stage=DEAD_INGEST, error_type="UnsupportedFormat",
                      message=f"extension '{os.path.splitext(uri)[1]}' is not a configured image or video extension",
                      config_hash=config_hash).to_json()


class LoadSidecars(beam.PTransform):
    def __init__(self, paths: list[str]):
        super().__init__()
        self.paths = paths

    def expand(self, pbegin):
        return (pbegin | "Paths" >> beam.Create(self.paths)
                | "Read" >> beam.FlatMap(lambda path: read_sidecar(path, rd.read_bytes(path))))


class CurateImages(beam.PTransform):
    """image uris -> (records, pictures to score, dead letters). `input_root`: what item ids are relative to
    (inputs.input_root)."""

    def __init__(self, cfg, run_dir, config_hash, sidecar, input_root: str = ""):
        super().__init__()
        self.args, self.sidecar, self.input_root = (cfg, run_dir, config_hash), sidecar, input_root

    def expand(self, uris):
        isolated = self.args[0].analysis.isolate_image_decoding
        out = uris | "Analyze" >> beam.ParDo(AnalyzeImage(*self.args, isolated, self.input_root),
                                             sidecar=self.sidecar) \
            .with_outputs(SCORE_TAG, main="rows").with_exception_handling()
        return out["rows"], out[SCORE_TAG], out["bad"] | "DeadLetter" >> beam.Map(
            _dead_letter(DEAD_ANALYZE_IMAGE, self.args[2]))


class CurateVideos(beam.PTransform):
    """video uris -> (clip records, keyframes to score, dead letters)"""

    def __init__(self, cfg, run_dir, config_hash, sidecar, input_root: str = ""):
        super().__init__()
        self.args, self.sidecar, self.input_root = (cfg, run_dir, config_hash), sidecar, input_root

    def expand(self, uris):
        cfg, run_dir, config_hash = self.args
        # decoders run in a helper process (analyze._AnalyzerDoFn), never in a child forked from this worker:
        # Beam's use_subprocess=True forks under live gRPC threads (apache/beam#25374)
        isolated = cfg.analysis.isolate_video_decoding
        tasks, bad_split = (uris | "Split" >> beam.ParDo(SplitVideo(cfg, run_dir, isolated, self.input_root))
                            .with_exception_handling())
        out = (tasks | "SpreadClips" >> beam.Reshuffle()
               | "Analyze" >> beam.ParDo(AnalyzeClip(*self.args, isolated, self.input_root), sidecar=self.sidecar)
               .with_outputs(SCORE_TAG, main="rows").with_exception_handling())
        dead = ((bad_split | "SplitDeadLetter" >> beam.Map(_dead_letter(DEAD_SPLIT_VIDEO, config_hash)),
                 out["bad"] | "ClipDeadLetter" >> beam.Map(_dead_letter(DEAD_ANALYZE_CLIP, config_hash)))
                | "FlattenDead" >> beam.Flatten())
        return out["rows"], out[SCORE_TAG], dead


class ScoreWithModels(beam.PTransform):
    """(records, pictures) -> (records with model scores and re-made decisions, embedding records, dead letters).
    open_clip runs through RunInference (pipelines/scoring), batched, one model per worker process."""

    def __init__(self, cfg: CurateConfig, config_hash: str):
        super().__init__()
        self.cfg, self.config_hash = cfg, config_hash

    def expand(self, pcolls):
        from pipelines.scoring.transform import EmbedAndScore, embedding_record
        rows, pictures = pcolls
        results, failures = pictures | "EmbedAndScore" >> EmbedAndScore(self.cfg.scoring, with_failures=True)
        merged = ({"row": rows | "KeyRows" >> beam.Map(lambda r: (r[Col.ITEM_ID], r)), "model": results,
                   "failure": failures}
                  | "Join" >> beam.CoGroupByKey()
                  | "Merge" >> beam.ParDo(MergeModelScores(self.cfg, self.config_hash))
                  .with_outputs(MergeModelScores.DEAD, main="rows"))
        embeddings = results | "EmbeddingRecords" >> beam.MapTuple(embedding_record)
        return merged["rows"], embeddings, merged[MergeModelScores.DEAD]


class DedupeStage(beam.PTransform):
    """Exact, near (pHash; region-hash candidates verified geometrically) and semantic (embedding) duplicate
    groups; each group keeps one member. Also writes
    this run's dedupe index, so later runs can dedupe against it (--dedupe-against)."""

    def __init__(self, cfg: CurateConfig, run_dir: str, embeddings=None, n_inputs: Optional[int] = None):
        super().__init__()
        self.cfg, self.run_dir, self.embeddings, self.n_inputs = cfg, run_dir, embeddings, n_inputs

    def expand(self, rows):
        from pipelines.dedupe.dedupe_index import ReadDedupeIndex, WriteDedupeIndex
        from pipelines.dedupe.dedupe_transform import Dedupe
        from pipelines.dedupe.semantic_beam import SemanticPairs, from_embedding_record
        embeddings, d = self.embeddings, self.cfg.dedupe
        index = rows.pipeline | "DedupeAgainst" >> ReadDedupeIndex(d.against) if d.against else None
        semantic = None
        if d.semantic_epsilon > 0 and embeddings is not None:
            semantic = (embeddings | "Vectors" >> beam.Map(from_embedding_record)
                        | "TrainedOnly" >> beam.Filter(lambda e: e is not None)
                        | "SemanticPairs" >> SemanticPairs(d.semantic_epsilon, d.semantic_clusters))
        one_worker = self.n_inputs is not None and self.n_inputs <= d.one_worker_max_items
        if d.verify_max_distance >= 0 and d.near_max_distance >= 0:
            from pipelines.dedupe.candidates_beam import VerifiedPairs
            verified = rows | "VerifiedPairs" >> VerifiedPairs(d.verify_max_distance, d.near_max_distance,
                                                                self.run_dir, max_bucket=d.max_bucket,
                                                                one_worker=one_worker)
            semantic = verified if semantic is None else ((semantic, verified) | "ItemPairs" >> beam.Flatten())
        if one_worker:
            from pipelines.dedupe.dedupe_one_worker import DedupeOnOneWorker
            rows = rows | "DedupeOnOneWorker" >> DedupeOnOneWorker(d, semantic_pairs=semantic, index_rows=index)
        else:
            rows = rows | "Dedupe" >> Dedupe(d, semantic_pairs=semantic, index_rows=index)
        rows | "WriteIndex" >> WriteDedupeIndex(self.run_dir)
        return rows


class WriteOutputs(beam.PTransform):
    def __init__(self, run_dir: str, manifest_shards: int, embeddings=None):
        super().__init__()
        self.run_dir, self.shards, self.embeddings = run_dir, manifest_shards, embeddings

    def expand(self, pcolls):
        rows, dead = pcolls
        if self.embeddings is not None:
            self.embeddings | "Embeddings" >> beam.io.WriteToParquet(
                rd.join(self.run_dir, rd.EMBEDDINGS_DIR, "part"), EMBEDDING_SCHEMA, file_name_suffix=".parquet",
                num_shards=self.shards)
        rows | "Manifest" >> beam.io.WriteToParquet(
            rd.join(self.run_dir, rd.MANIFEST_DIR, "part"), MANIFEST_SCHEMA, file_name_suffix=".parquet",
            num_shards=self.shards)
        dead | "DeadLetters" >> beam.io.WriteToText(
            rd.join(self.run_dir, rd.DEAD_LETTER_DIR, rd.DEAD_LETTER_PREFIX), file_name_suffix=".jsonl",
            compression_type=CompressionTypes.UNCOMPRESSED)


def build_curate_pipeline(p: beam.Pipeline, cfg: CurateConfig, run_dir: str, config_hash: str,
                          patterns: list[str], literal_uris: list[str], sidecars: list[str],
                          exclude_prefixes: tuple[str, ...] = (), n_inputs: Optional[int] = None,
                          input_root: str = "") -> None:
    """`n_inputs`: how many inputs the launcher listed (None: unknown); small runs dedupe on one worker.
    `input_root`: item ids name inputs relative to it (inputs.input_root); "" names them by their full uri."""
    uris = p | "Ingest" >> Ingest(patterns, literal_uris, exclude_prefixes)
    images, videos, unsupported = uris | "RouteByExtension" >> RouteByExtension(cfg, config_hash)
    sidecar = beam.pvalue.AsDict(p | "Sidecars" >> LoadSidecars(sidecars))
    image_rows, image_pictures, image_dead = images | "CurateImages" >> CurateImages(cfg, run_dir, config_hash,
                                                                                    sidecar, input_root)
    clip_rows, clip_pictures, clip_dead = videos | "CurateVideos" >> CurateVideos(cfg, run_dir, config_hash, sidecar,
                                                                                 input_root)
    rows = (image_rows, clip_rows) | "AllRows" >> beam.Flatten()
    dead = [unsupported, image_dead, clip_dead]
    embeddings = None
    if cfg.scoring.enabled:
        pictures = (image_pictures, clip_pictures) | "AllPictures" >> beam.Flatten()
        rows, embeddings, score_dead = (rows, pictures) | "ScoreWithModels" >> ScoreWithModels(cfg, config_hash)
        dead.append(score_dead)
    d = cfg.dedupe
    if d.exact or d.near_max_distance >= 0 or d.semantic_epsilon > 0:
        rows = rows | "DedupeStage" >> DedupeStage(cfg, run_dir, embeddings, n_inputs)
    rows = rows | "CountDecisions" >> beam.Map(count_decision)
    dead = dead | "AllDead" >> beam.Flatten()
    (rows, dead) | "Write" >> WriteOutputs(run_dir, cfg.output.manifest_shards, embeddings)
