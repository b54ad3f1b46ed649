"""Run `framesift curate` the way users do (a separate process, the default multi-process runner) on a corpus that
mixes real photos, clips and broken files, optionally with CPU hogs beside it: crashes in forked helpers only show
under load."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

import numpy as np
import skimage.data

from tests.media_fixtures import jpeg_bytes, pan_frames, write_video
from tests.scoring_fixtures import TINY_CLIP, gray_to_rgb, write_tiny_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the noise a user must never see on a run whose errors were all handled
CONSOLE_NOISE = ("Traceback", "fork_posix", "mutex.cc", "BrokenProcessPool", "absl::", "WARNING: All log messages")
# what a fork under live gRPC threads leaves in the job's log (apache/beam#25374)
FORK_TRACES = ("fork_posix", "mutex.cc", "BrokenProcessPool")


def _write(path, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def mixed_corpus(root, photos: int = 12, videos: int = 3, photo_width: int = 0, clip_frames: int = 60,
                 clip_side: int = 128) -> dict[str, int]:
    """Photos (JPEG and PNG, several sizes; `photo_width` > 0 scales them down to it), two-shot clips of
    `clip_frames` frames and planted bad files. -> {kind: count}"""
    import io
    from PIL import Image
    pictures = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea(), skimage.data.rocket(),
                gray_to_rgb(skimage.data.camera())]
    for i in range(photos):
        rgb = np.ascontiguousarray(np.roll(pictures[i % len(pictures)], 7 * i, axis=1))
        if photo_width:
            rgb = np.asarray(Image.fromarray(rgb).resize((photo_width, photo_width * rgb.shape[0] // rgb.shape[1])))
        if i % 3 == 2:
            buf = io.BytesIO()
            Image.fromarray(rgb).save(buf, format="PNG")
            _write(os.path.join(root, "photos", f"p{i:03d}.png"), buf.getvalue())
        else:
            _write(os.path.join(root, "photos", f"p{i:03d}.jpg"), jpeg_bytes(rgb))
    for i in range(videos):
        a, b = pictures[i % len(pictures)], pictures[(i + 1) % len(pictures)]
        os.makedirs(os.path.join(root, "clips"), exist_ok=True)
        half = clip_frames // 2
        write_video(os.path.join(root, "clips", f"v{i:02d}.mp4"),
                    pan_frames(a, half, size=clip_side) + pan_frames(b, clip_frames - half, size=clip_side))
    bad = {"broken/zero.jpg": b"", "broken/truncated.jpg": jpeg_bytes(pictures[0])[:4000],
           "broken/html.png": b"<html>not a png</html>", "broken/garbage.mp4": bytes(range(256)) * 40}
    for rel, data in bad.items():
        _write(os.path.join(root, rel), data)
    return {"photos": photos, "videos": videos, "bad": len(bad)}


def curate_argv(data, out, config_dir, *extra: str) -> list[str]:
    """`framesift curate` with the default (multi-process) runner; model scoring on the tiny CLIP, so torch threads
    are live in the workers as in a real run."""
    return [sys.executable, "-m", "framesift.cli", "curate", "--input", str(data), "--output", str(out),
            "--set", f"scoring.clip_model={TINY_CLIP}", "--set", f"scoring.model_config_dir={config_dir}", *extra]


def tiny_clip_dir(tmp_path) -> str:
    return write_tiny_config(tmp_path / "clip_config")


def cli_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("NO_GCE_CHECK", "True")
    env.setdefault("GCE_METADATA_HOST", "127.0.0.1:9")
    return env


def run_cli(argv: list[str], timeout_s: float) -> subprocess.CompletedProcess:
    """Run a framesift command in its own process group; on timeout the whole group (Beam workers, decoder helpers)
    is killed and the result has returncode None."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(),
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout_s)
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return subprocess.CompletedProcess(argv, None, out, err + f"\n[killed after {timeout_s:g}s]")


@contextlib.contextmanager
def cpu_hogs(n: int = 2):
    """Busy loops beside the job: load is what turns a fork-under-threads race into a crash."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield procs
    finally:
        for p in procs:
            p.kill()
            p.wait()
