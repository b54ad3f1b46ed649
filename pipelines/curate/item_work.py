"""The per-item work of the curate job as plain functions: decode once, score with every filter, write
previews. The Beam DoFns (analyze.py) run them through item_analyzer.ItemAnalyzer, in a decoder helper process by
default; the benchmark's bare multiprocessing baseline does too, so it measures exactly the same work.

No Beam at import time: this module is what the helper process (pipelines/media/helper_process.py) imports."""
from __future__ import annotations

import bisect
import hashlib
import logging

import av
import numpy as np

from framesift.browser_video import browser_playable
from framesift.config import CurateConfig
from framesift.run_layout import BROWSER_PREVIEW_SUFFIX, preview_relpath
from framesift.schemas import ManifestRow
from framesift.schemas.columns import Col
from pipelines import run_files
from pipelines.curate.decide import input_key, item_id, score_sample
from pipelines.filters import Filter, Sample
from pipelines.filters.spectral import sample_spectrum
from pipelines.media.image_decode import decode_image
from pipelines.media.perceptual_hash import picture_hashes
from pipelines.media.previews import animated_webp, browser_mp4, thumbnail_jpeg
from pipelines.media.clip_frames import PROCESS_STORE, SplitPassFrames
from pipelines.media.shots import clip_spans, detect_shot_starts
from pipelines.media.video_decode import (decoded_frames, frame_rgb, iter_frames, open_video, probe_video,
                                          quarter_turns, scaled_size, upright_size)

SHOT_DETECTION_SIDE = 96        # frames for cut detection need only be tiny (TransNetV2 reads 48x27)
_PROBE_KEYS = (Col.WIDTH, Col.HEIGHT, Col.MODE, Col.FORMAT, Col.BYTES, Col.SHA256, Col.FPS, Col.FRAME_COUNT,
               Col.DURATION_S, Col.CODEC, Col.HAS_AUDIO)


def write_preview(run_dir: str, iid: str, suffix: str, data: bytes) -> str:
    rel = preview_relpath(iid, suffix)
    run_files.write_atomic(run_files.join(run_dir, *rel.split("/")), data)
    return rel


def analyze_image(uri: str, cfg: CurateConfig, filters: list[Filter], run_dir: str,
                  input_root: str = "") -> tuple[ManifestRow, np.ndarray]:
    """-> (row with scores, no decision yet; the analysis-size picture, for model scoring). `input_root`: see
    decide.input_key."""
    decoded = decode_image(run_files.read_input(uri), cfg.analysis.image_max_side, cfg.ingest.max_image_pixels,
                           pixel_hash=cfg.analysis.pixel_hash)
    p = decoded.probe
    iid = item_id(input_key(uri, input_root), p[Col.SHA256])
    sample = Sample("image", p[Col.WIDTH], p[Col.HEIGHT], [decoded.rgb], detail=decoded.detail)
    row = ManifestRow(item_id=iid, source_uri=uri, media_type="image", **p, **picture_hashes(decoded.rgb),
                      spectral_profile=sample_spectrum(sample).profile.tolist(), scores=score_sample(filters, sample))
    row.thumbnail_path = write_preview(run_dir, iid, ".jpg", thumbnail_jpeg(decoded.rgb, cfg.previews.thumbnail_side))
    return row, decoded.rgb


def split_video(uri: str, cfg: CurateConfig) -> list[dict]:
    """Probe, decode, cut at shot boundaries and at max_clip_s: one task per clip. Each decoded frame is converted
    twice: small for cut detection, and to the clip analysis size for the clip tasks that run in this process
    (clip_frames.PROCESS_STORE), so no frame is decoded twice."""
    with run_files.open_input(uri) as f:
        digest, size = hashlib.sha256(), 0
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
        if size == 0:
            raise ValueError("empty file (0 bytes)")
        f.seek(0)
        container = open_video(f)
        indices, turns = [], []    # presentation-time frame indices, the numbering analyze_clip's spans use
        clip_frames = SplitPassFrames(cfg.analysis.video_max_side)
        try:
            probe = probe_video(container)

            def frames():
                size = None     # as iter_frames: every frame at the size and turn the first one gives
                for index, frame in decoded_frames(container, skipped=clip_frames.skipped):
                    if size is None:
                        size = scaled_size(frame.width, frame.height, SHOT_DETECTION_SIDE)
                        turns.append(quarter_turns(frame))
                    indices.append(index)
                    clip_frames.add(index, frame)
                    yield frame_rgb(frame, size, turns[0])
            starts, detector = detect_shot_starts(frames(), cfg.shots)
        finally:
            container.close()
    if not indices:
        raise ValueError("video has no decodable frames")
    # variable frame rate: decode order and time-based indices differ, so cuts and length are read off the indices
    frame_count = indices[-1] + 1
    probe[Col.WIDTH], probe[Col.HEIGHT] = upright_size(probe[Col.WIDTH], probe[Col.HEIGHT], turns[0])
    probe.update(frame_count=frame_count, duration_s=frame_count / probe[Col.FPS], bytes=size,
                 sha256=digest.hexdigest())
    cuts = [indices[c] for c in starts]
    spans = spans_with_frames(clip_spans(frame_count, cuts, probe[Col.FPS], cfg.shots.max_clip_s), indices)
    for start, end in spans:
        span_frames = clip_frames.span(start, end)
        if span_frames:
            PROCESS_STORE.put(_clip_key(uri, probe, start, end, cfg), span_frames)
    return [{"uri": uri, "probe": probe, Col.CLIP_INDEX: i, Col.START_FRAME: s, Col.END_FRAME: e, "cuts": len(cuts),
             "shot_detector": detector} for i, (s, e) in enumerate(spans)]


def spans_with_frames(spans: list[tuple[int, int]], indices: list[int]) -> list[tuple[int, int]]:
    """The spans some decoded frame falls in: a timestamp jump (a glitch, an MPEG-TS wrap) leaves spans with none,
    which are not clips (each was a "no frames decoded" dead letter, hundreds for one input)."""
    present = sorted(set(indices))

    def has_frame(start: int, end: int) -> bool:
        i = bisect.bisect_left(present, start)
        return i < len(present) and present[i] < end
    return [span for span in spans if has_frame(*span)]


def _clip_key(uri: str, probe: dict, start: int, end: int, cfg: CurateConfig) -> tuple:
    return uri, probe[Col.SHA256], start, end, cfg.analysis.video_max_side


def decode_clip(uri: str, start: int, end: int, max_side: int) -> list[np.ndarray]:
    """The frames [start, end) of the video at `uri`, scaled to max_side and upright: what a clip task analyses."""
    with run_files.open_input(uri) as f:
        container = open_video(f)
        try:
            return [rgb for _, rgb in iter_frames(container, max_side, start, end)]
        finally:
            container.close()


def analyze_clip(task: dict, cfg: CurateConfig, filters: list[Filter], run_dir: str,
                 input_root: str = "") -> tuple[ManifestRow, np.ndarray]:
    """-> (row with scores, no decision yet; the clip's keyframe, for model scoring)"""
    uri, probe, start, end = task["uri"], task["probe"], task[Col.START_FRAME], task[Col.END_FRAME]
    frames = PROCESS_STORE.take(_clip_key(uri, probe, start, end, cfg))
    if frames is None:      # split in another process, or its frames did not fit: decode the span
        frames = decode_clip(uri, start, end, cfg.analysis.video_max_side)
    if not frames:
        raise ValueError(f"no frames decoded in span [{start}, {end})")
    fps = probe[Col.FPS]
    sample = Sample("clip", probe[Col.WIDTH], probe[Col.HEIGHT], frames, fps=fps, duration_s=(end - start) / fps)
    iid = item_id(input_key(uri, input_root), probe[Col.SHA256], (start, end))
    row = ManifestRow(item_id=iid, source_uri=uri, media_type="clip", clip_index=task[Col.CLIP_INDEX],
                      start_frame=start, end_frame=end, start_s=start / fps, end_s=end / fps,
                      **{k: probe[k] for k in _PROBE_KEYS}, **picture_hashes(sample.keyframe),
                      spectral_profile=sample_spectrum(sample).profile.tolist(), scores=score_sample(filters, sample))
    pv = cfg.previews
    row.thumbnail_path = write_preview(run_dir, iid, ".jpg", thumbnail_jpeg(sample.keyframe, pv.thumbnail_side))
    row.preview_path = write_preview(run_dir, iid, ".webp",
                                     animated_webp(frames, pv.animated_side, pv.animated_frames, fps))
    if not browser_playable(uri, probe.get(Col.CODEC)):
        # the review UI plays the clip from this copy (exactly its frames); without it, the animation stands in
        try:
            write_preview(run_dir, iid, BROWSER_PREVIEW_SUFFIX, browser_mp4(frames, fps))
        except (av.error.FFmpegError, ValueError) as e:
            logging.getLogger(__name__).warning("no browser-safe preview for %s: %s", iid, e)
    return row, sample.keyframe
