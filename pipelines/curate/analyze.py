"""The per-item work of the curate job as DoFns: decode once, score with every filter, write previews, emit a
manifest row. Filters (and later models) are built in `setup`, once per worker, never per element."""
from __future__ import annotations

import hashlib

import apache_beam as beam
from apache_beam.metrics import Metrics

from framesift.config import CurateConfig
from framesift.schemas import ManifestRow
from pipelines.curate import run_dir as rd
from pipelines.curate.decide import decide, item_id, preview_relpath, score_sample
from pipelines.curate.sidecar import lookup
from pipelines.filters import Sample, build_filters
from pipelines.media.image_decode import decode_image
from pipelines.media.previews import animated_webp, thumbnail_jpeg
from pipelines.media.shots import clip_spans, content_changes, find_cuts
from pipelines.media.video_decode import iter_frames, open_video, probe_video

NAMESPACE = "framesift"
SHOT_DETECTION_SIDE = 96        # frames for cut detection need only be tiny


class _CurateDoFn(beam.DoFn):
    def __init__(self, cfg: CurateConfig, run_dir: str, config_hash: str):
        self.cfg, self.run_dir, self.config_hash = cfg, run_dir, config_hash

    def setup(self):
        self.filters = build_filters(self.cfg.filters)
        self.kept = Metrics.counter(NAMESPACE, "items_kept")
        self.rejected = Metrics.counter(NAMESPACE, "items_rejected")

    def _finish(self, row: ManifestRow, sidecar) -> dict:
        meta = lookup(sidecar, row.source_uri) or {}
        row.caption = meta.get("caption")
        row.metadata = {k: v for k, v in meta.items() if k != "caption"}
        row.reject_reasons = decide(self.filters, row.scores)
        row.keep = not row.reject_reasons
        (self.kept if row.keep else self.rejected).inc()
        for r in row.reject_reasons:
            Metrics.counter(NAMESPACE, f"rejected_{r.name}_{r.reason}").inc()
        row.config_hash = self.config_hash
        return row.to_record()

    def _write_preview(self, iid: str, suffix: str, data: bytes) -> str:
        rel = preview_relpath(iid, suffix)
        rd.write_atomic(rd.join(self.run_dir, *rel.split("/")), data)
        return rel


class AnalyzeImage(_CurateDoFn):
    """uri -> one manifest row."""

    def process(self, uri: str, sidecar):
        data = rd.read_bytes(uri)
        decoded = decode_image(data, self.cfg.analysis.image_max_side, self.cfg.ingest.max_image_pixels)
        p = decoded.probe
        sample = Sample("image", p["width"], p["height"], [decoded.rgb])
        iid = item_id(uri)
        row = ManifestRow(item_id=iid, source_uri=uri, media_type="image", **p,
                          scores=score_sample(self.filters, sample))
        row.thumbnail_path = self._write_preview(iid, ".jpg",
                                                 thumbnail_jpeg(decoded.rgb, self.cfg.previews.thumbnail_side))
        Metrics.counter(NAMESPACE, "images").inc()
        yield self._finish(row, sidecar)


class SplitVideo(beam.DoFn):
    """uri -> one task per clip: probe the video, decode it small, cut at hard cuts and at max_clip_s."""

    def __init__(self, cfg: CurateConfig):
        self.cfg = cfg

    def process(self, uri: str):
        from apache_beam.io.filesystem import CompressionTypes
        from apache_beam.io.filesystems import FileSystems
        with FileSystems.open(uri, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            digest, size = hashlib.sha256(), 0
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
            if size == 0:
                raise ValueError("empty file (0 bytes)")
            f.seek(0)
            container = open_video(f)
            try:
                probe = probe_video(container)
                decoded = [0]

                def frames():
                    for _, rgb in iter_frames(container, SHOT_DETECTION_SIDE):
                        decoded[0] += 1
                        yield rgb
                changes = content_changes(frames())
            finally:
                container.close()
        frame_count = decoded[0]
        if frame_count == 0:
            raise ValueError("video has no decodable frames")
        probe.update(frame_count=frame_count, duration_s=frame_count / probe["fps"], bytes=size,
                     sha256=digest.hexdigest(), exif_orientation=None)
        cuts = find_cuts(changes, self.cfg.shots.threshold, self.cfg.shots.min_shot_frames)
        spans = clip_spans(frame_count, cuts, probe["fps"], self.cfg.shots.max_clip_s)
        Metrics.counter(NAMESPACE, "videos").inc()
        Metrics.counter(NAMESPACE, "hard_cuts").inc(len(cuts))
        for index, (start, end) in enumerate(spans):
            yield {"uri": uri, "probe": probe, "clip_index": index, "start_frame": start, "end_frame": end}


class AnalyzeClip(_CurateDoFn):
    """clip task -> one manifest row: decode the clip's frames, score, write a keyframe and an animated preview."""

    def process(self, task: dict, sidecar):
        from apache_beam.io.filesystem import CompressionTypes
        from apache_beam.io.filesystems import FileSystems
        uri, probe = task["uri"], task["probe"]
        start, end = task["start_frame"], task["end_frame"]
        with FileSystems.open(uri, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            container = open_video(f)
            try:
                frames = [rgb for _, rgb in iter_frames(container, self.cfg.analysis.video_max_side, start, end)]
            finally:
                container.close()
        if not frames:
            raise ValueError(f"no frames decoded in span [{start}, {end})")
        fps = probe["fps"]
        sample = Sample("clip", probe["width"], probe["height"], frames, fps=fps, duration_s=(end - start) / fps)
        iid = item_id(uri, (start, end))
        row = ManifestRow(item_id=iid, source_uri=uri, media_type="clip", clip_index=task["clip_index"],
                          start_frame=start, end_frame=end, start_s=start / fps, end_s=end / fps,
                          **{k: probe[k] for k in ("width", "height", "mode", "format", "bytes", "sha256", "fps",
                                                   "frame_count", "duration_s", "codec", "has_audio")},
                          scores=score_sample(self.filters, sample))
        pv = self.cfg.previews
        row.thumbnail_path = self._write_preview(iid, ".jpg", thumbnail_jpeg(sample.keyframe, pv.thumbnail_side))
        row.preview_path = self._write_preview(iid, ".webp",
                                               animated_webp(frames, pv.animated_side, pv.animated_frames, fps))
        Metrics.counter(NAMESPACE, "clips").inc()
        yield self._finish(row, sidecar)
