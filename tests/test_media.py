import io

import numpy as np
import pytest
import skimage.data
from PIL import Image, UnidentifiedImageError

from pipelines.media.image_decode import DecompressionBomb, decode_image
from pipelines.media.shots import clip_spans, content_changes, find_cuts
from pipelines.media.video_decode import iter_frames, open_video, probe_video
from tests.media_fixtures import jpeg_bytes, two_shot_video


def test_decode_jpeg_probe_and_draft_scaling():
    data = jpeg_bytes(skimage.data.astronaut())
    d = decode_image(data, max_side=128)
    assert (d.probe["width"], d.probe["height"], d.probe["format"], d.probe["bytes"]) == (512, 512, "JPEG", len(data))
    assert max(d.rgb.shape[:2]) == 128 and d.rgb.dtype == np.uint8


def test_exif_orientation_is_applied():
    im = Image.fromarray(skimage.data.coffee())          # 600 wide, 400 high as stored
    exif = Image.Exif()
    exif[0x0112] = 6                                     # displayed rotated 90 degrees: 400 wide, 600 high
    buf = io.BytesIO()
    im.save(buf, format="JPEG", exif=exif)
    d = decode_image(buf.getvalue(), max_side=600)
    assert (d.probe["width"], d.probe["height"], d.probe["exif_orientation"]) == (400, 600, 6)
    assert d.rgb.shape[:2] == (600, 400)


def test_decompression_bomb_is_refused_before_decoding():
    buf = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buf, format="PNG")
    with pytest.raises(DecompressionBomb, match="exceeds max_image_pixels"):
        decode_image(buf.getvalue(), max_pixels=100_000_000)


def test_truncated_and_non_images_raise():
    data = jpeg_bytes(skimage.data.astronaut())
    with pytest.raises(OSError, match="truncated"):
        decode_image(data[: len(data) // 2])
    with pytest.raises(UnidentifiedImageError, match="not a decodable image"):
        decode_image(b"<html>not an image</html>")
    with pytest.raises(ValueError, match="empty"):
        decode_image(b"")


def test_alpha_is_composited_not_black():
    rgba = np.zeros((64, 64, 4), np.uint8)                # fully transparent
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    assert decode_image(buf.getvalue()).rgb.mean() == pytest.approx(128, abs=1)


def test_hard_cut_found_in_real_content(tmp_path):
    path = tmp_path / "cut.mp4"
    cut = two_shot_video(path)
    with open(path, "rb") as f:
        container = open_video(f)
        probe = probe_video(container)
        changes = content_changes(rgb for _, rgb in iter_frames(container, 96))
    assert probe["fps"] == 25 and probe["codec"] == "h264" and probe["has_audio"] is False
    assert len(changes) == 59
    assert find_cuts(changes, threshold=30, min_shot_frames=4) == [cut]


def test_seeked_span_decodes_the_same_frames(tmp_path):
    path = tmp_path / "cut.mp4"
    two_shot_video(path)
    with open(path, "rb") as f:
        all_frames = dict(iter_frames(open_video(f), 128))
    with open(path, "rb") as f:
        span = dict(iter_frames(open_video(f), 128, 35, 45))
    assert sorted(span) == list(range(35, 45))
    for i, rgb in span.items():
        assert np.array_equal(rgb, all_frames[i])


def test_clip_spans_split_long_shots_evenly():
    assert clip_spans(100, [40], fps=10, max_clip_s=10) == [(0, 40), (40, 100)]
    assert clip_spans(250, [], fps=10, max_clip_s=10) == [(0, 84), (84, 168), (168, 250)]
    assert clip_spans(7, [], fps=25, max_clip_s=10) == [(0, 7)]


def test_clip_spans_take_cuts_out_of_order_or_repeated():
    # restarting timestamps (two concatenated MPEG-TS segments) give cut frame numbers like these
    assert clip_spans(100, [60, 30, 60, 0, 100, 130], fps=10, max_clip_s=10) == [(0, 30), (30, 60), (60, 100)]


def test_find_cuts_merges_flashes():
    changes = [1, 1, 1, 1, 50, 60, 1, 1, 1, 1, 55, 1, 1, 1]   # 50 then 60: one cut, the flash frame is merged
    assert find_cuts(changes, threshold=30, min_shot_frames=4) == [5, 11]
    assert find_cuts([70, 1, 1], threshold=30, min_shot_frames=4) == []   # a first shot of 1 frame is no shot
    assert find_cuts([1, 1, 1, 1, 1, 70, 1], threshold=30, min_shot_frames=4) == []   # nor a last one of 2


def _spans_cover_every_frame(path):
    from framesift.config import load_config
    from pipelines.curate.item_work import split_video
    tasks = split_video(str(path), load_config("curate"))
    covered = 0
    for t in tasks:
        with open(path, "rb") as f:
            covered += sum(1 for _ in iter_frames(open_video(f), 64, t["start_frame"], t["end_frame"]))
    return tasks, covered


def test_variable_frame_rate_video_loses_no_frames(tmp_path):
    from tests.media_fixtures import pan_frames, timed_video
    astro, coffee = pan_frames(skimage.data.astronaut(), 150, step=1), pan_frames(skimage.data.coffee(), 50, step=2)
    times = [i / 30 for i in range(150)] + [5 + i / 10 for i in range(50)]    # 5 s at 30 fps, then 5 s at 10 fps
    timed_video(tmp_path / "vfr.mkv", times, astro + coffee)
    tasks, covered = _spans_cover_every_frame(tmp_path / "vfr.mkv")
    assert covered == 200
    assert tasks[0]["probe"]["duration_s"] == pytest.approx(10, abs=0.2)
    assert tasks[1]["start_frame"] == 150          # the cut, in presentation-time frame numbers


def test_mpeg_ts_with_start_offset_decodes_every_span(tmp_path):
    from fractions import Fraction
    from tests.media_fixtures import pan_frames, timed_video
    frames = pan_frames(skimage.data.astronaut(), 60) + pan_frames(skimage.data.coffee(), 60)
    timed_video(tmp_path / "offset.ts", [i / 30 for i in range(120)], frames, fmt="mpegts", offset=2.5,
                time_base=Fraction(1, 90000))
    tasks, covered = _spans_cover_every_frame(tmp_path / "offset.ts")
    assert [(t["start_frame"], t["end_frame"]) for t in tasks] == [(0, 60), (60, 120)]
    assert covered == 120


def test_sixteen_bit_grey_keeps_its_tones():
    ramp = (np.linspace(0, 65535, 256 * 256).reshape(256, 256)).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(ramp).save(buf, format="PNG")
    rgb = decode_image(buf.getvalue()).rgb
    assert rgb.shape == (256, 256, 3)
    assert 120 < rgb.mean() < 135 and rgb.min() == 0 and rgb.max() == 255


@pytest.mark.parametrize("angle", [90, 180, -90])
def test_display_matrix_rotation_is_applied(tmp_path, angle):
    """Phones store portrait video as landscape pixels plus a display matrix: frames and the probed size must come
    out upright, as players show them."""
    import av
    from framesift.config import load_config
    from pipelines.curate.item_work import split_video
    stored = [np.ascontiguousarray(skimage.data.astronaut()[100 + 2 * i:196 + 2 * i, 150:278]) for i in range(30)]
    path = tmp_path / f"rot{angle}.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 128, 96, "yuv444p"
        stream.set_display_rotation(angle)               # counter-clockwise, as VideoFrame.rotation reads it
        for rgb in stored:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(stream.encode())
    with open(path, "rb") as f:
        frames = [rgb for _, rgb in iter_frames(open_video(f), 256)]
    expected = np.rot90(stored[0], angle // 90)
    assert frames[0].shape == expected.shape and frames[0].flags.c_contiguous
    error = np.abs(frames[0].astype(int) - expected).mean()
    assert error < 8 < np.abs(frames[0].astype(int) - np.rot90(expected, 2)).mean()
    cfg = load_config("curate")
    cfg.shots.detector = "content"
    task = split_video(str(path), cfg)[0]
    assert (task["probe"]["width"], task["probe"]["height"]) == ((96, 128) if angle % 180 else (128, 96))
    from pipelines.curate.item_work import analyze_clip
    from pipelines.filters import curate_filters
    row, keyframe = analyze_clip(task, cfg, curate_filters(cfg), str(tmp_path / "run"))
    assert keyframe.shape[:2] == expected.shape[:2] and (row.width, row.height) == (task["probe"]["width"],
                                                                                      task["probe"]["height"])


def test_header_far_over_the_pixel_limit_is_the_same_error_with_our_limit():
    """Over twice max_pixels Pillow raises its own DecompressionBombError (naming twice the limit) at open: the dead
    letter must still say DecompressionBomb and the configured limit."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header_only = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
                   + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    with pytest.raises(DecompressionBomb, match=r"^10000000000 pixels exceeds max_image_pixels 50000000$"):
        decode_image(header_only, max_pixels=50_000_000)


def test_a_named_pipe_among_the_inputs_is_refused_not_waited_on(tmp_path):
    """`mkfifo clip.mp4` in an input directory: opening it would block until a writer appears, hanging the job."""
    import os
    import threading
    from framesift.config import load_config
    from pipelines.curate.item_work import analyze_image, split_video
    cfg = load_config("curate")
    for name, work in (("pipe.jpg", lambda uri: analyze_image(uri, cfg, [], str(tmp_path / "run"))),
                       ("pipe.mp4", lambda uri: split_video(uri, cfg))):
        fifo = tmp_path / name
        os.mkfifo(fifo)
        raised = []

        def attempt():
            try:
                work(str(fifo))
            except OSError as e:
                raised.append(str(e))
        worker = threading.Thread(target=attempt, daemon=True)
        worker.start()
        worker.join(20)
        if worker.is_alive():       # unblock the reader before failing, so no thread is left waiting
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            worker.join(5)
        assert raised == ["not a regular file: a named pipe (FIFO)"], name


@pytest.mark.parametrize("entry", [
    (2, 4, b"six\x00"),                              # ASCII
    (4, 1, (2 ** 31).to_bytes(4, "big")),            # LONG beyond the int32 manifest column
    (3, 1, (99).to_bytes(2, "big") + b"\0\0"),      # SHORT, no such orientation
    (3, 1, (0).to_bytes(2, "big") + b"\0\0"),
])
def test_a_garbage_exif_orientation_reads_as_upright(entry):
    """A broken writer's Orientation tag must neither dead-letter a decodable picture (int("six")) nor reach the
    manifest's int32 column (2**31 failed the whole job's Parquet write)."""
    import struct
    kind, count, value = entry
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">HHHI", 1, 0x0112, kind, count) + value + b"\0\0\0\0"
    payload = b"Exif\x00\x00" + tiff
    data = jpeg_bytes(skimage.data.coffee())
    data = data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]
    d = decode_image(data, max_side=600)
    assert (d.probe["width"], d.probe["height"], d.probe["exif_orientation"]) == (600, 400, 1)
    assert d.rgb.shape[:2] == (400, 600)


def test_a_timestamp_jump_makes_no_empty_clips(tmp_path):
    """One frame stamped 10 minutes late (a glitch; an MPEG-TS wrap is 26 h) left ~60 spans of 10 s holding no
    frame, each a "no frames decoded" dead letter for one input."""
    from tests.media_fixtures import pan_frames, timed_video
    frames = pan_frames(skimage.data.astronaut(), 41, size=96)
    timed_video(tmp_path / "jump.mp4", [i / 25 for i in range(40)] + [600.0], frames)
    tasks, covered = _spans_cover_every_frame(tmp_path / "jump.mp4")
    assert covered == 41
    assert [(t["clip_index"], t["end_frame"] - t["start_frame"] <= 250) for t in tasks] == [(0, True), (1, True)]


def test_a_corrupt_stretch_costs_its_frames_not_the_video(tmp_path):
    """Random bytes over a sixth of an MP4's packets: the decoder rejects some packets; skipping them, as ffmpeg
    does, keeps the other frames instead of dead-lettering the video. A file none of whose packets decode still
    fails."""
    import av
    from framesift.config import load_config
    from pipelines.curate.item_work import split_video
    from tests.media_fixtures import pan_frames, write_video
    write_video(str(tmp_path / "whole.mp4"), pan_frames(skimage.data.astronaut(), 80, size=96))
    data = bytearray((tmp_path / "whole.mp4").read_bytes())
    packets = data.index(b"mdat") + 4           # moov at the end: packets first
    n = len(data) - packets
    data[packets + n // 3: packets + n // 2] = np.random.default_rng(0).bytes(n // 2 - n // 3)
    (tmp_path / "corrupt.mp4").write_bytes(bytes(data))
    tasks, covered = _spans_cover_every_frame(tmp_path / "corrupt.mp4")
    assert 40 <= covered < 80 and tasks[-1]["end_frame"] <= 80
    data[packets: data.index(b"moov") - 4] = bytes(data.index(b"moov") - 4 - packets)     # every packet blank
    (tmp_path / "blank.mp4").write_bytes(bytes(data))
    cfg = load_config("curate")
    cfg.shots.detector = "content"
    with pytest.raises(ValueError, match="no decodable frames"):
        split_video(str(tmp_path / "blank.mp4"), cfg)
