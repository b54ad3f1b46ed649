"""Curate throughput against what users would otherwise run, on the same 1 MP JPEGs, in one run:

  framesift   `framesift curate` (scoring off: the CLIP stage has its own benchmark, embedding_throughput.py;
              everything else on: every filter, pHash, previews, dedupe, manifest, report)
  CleanVision cleanvision 0.3.7 `Imagelab.find_issues()` with its default checks (pip install -e '.[bench]')
  minimal     a pool of `--workers` processes doing only the minimal work: Pillow decode with draft to <= 512 px,
              a 256-px JPEG thumbnail written to disk, pHash (imagehash), Laplacian variance (OpenCV)
  bare        a pool of `--workers` processes doing framesift's own per-item work (pipelines/curate/item_work.py),
              then its dedupe and a Parquet manifest, with neither Beam nor decoder isolation: the job's overhead

Each runs in a fresh process (start-up included, as a user sees it); CPU-seconds are the children's user+sys time.
Two corpus sizes give each tool's fixed cost and per-image cost (time = fixed + n * per_image). Then video: clip
analysis (split + analyze every clip) in frames/s against PyAV decoding the same frames, and what decoding videos in
isolated helper processes cost. The machine may be shared: the ratios come from one run, wall and CPU both.

    python benchmarks/curate_throughput.py [--sizes 200,2000] [--workers 2] [--skip cleanvision]
"""
from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# framesift images/s over theirs, at the largest size (bare: issue 9's like-for-like floor for the job's overhead)
GOALS = {"CleanVision": 2.0, "minimal": 0.5, "bare": 0.7}


# ---- the minimal loop (runs inside the "minimal" contender's pool) ----

def _minimal_item(job: tuple[str, str]) -> tuple[str, float]:
    import cv2
    import imagehash
    import numpy as np
    from PIL import Image
    path, out_dir = job
    with Image.open(path) as im:
        scale = 512 / max(im.size)
        im.draft("RGB", (max(1, int(im.width * scale)), max(1, int(im.height * scale))))
        im = im.convert("RGB")
    im.thumbnail((512, 512), Image.Resampling.BILINEAR)
    thumb = im.copy()
    thumb.thumbnail((256, 256), Image.Resampling.BILINEAR)
    thumb.save(os.path.join(out_dir, os.path.basename(path)), "JPEG", quality=85)
    grey = cv2.cvtColor(np.asarray(im), cv2.COLOR_RGB2GRAY)
    return str(imagehash.phash(im)), float(cv2.Laplacian(grey, cv2.CV_64F).var())


def minimal_loop(input_dir: str, scratch: str, workers: int) -> int:
    paths = sorted(os.path.join(input_dir, f) for f in os.listdir(input_dir))
    os.makedirs(scratch, exist_ok=True)
    with mp.get_context("spawn").Pool(workers) as pool:
        return len(pool.map(_minimal_item, [(p, scratch) for p in paths], chunksize=8))


# ---- the bare loop: framesift's own work with neither Beam nor decoder isolation (issue 9's like-for-like) ----

_BARE = {}


def _bare_setup(run_dir: str) -> None:
    from framesift.config import load_config
    from pipelines.curate.item_analyzer import ItemAnalyzer
    analyzer = ItemAnalyzer(load_config("curate", overrides=["scoring.enabled=false"]), run_dir)
    analyzer.setup()
    _BARE["analyzer"] = analyzer


def _bare_item(uri: str) -> dict:
    from pipelines.curate.decide import finish_row
    analyzer = _BARE["analyzer"]
    row, _ = analyzer.analyze_image(uri)
    return finish_row(row, analyzer.filters, None, "bench").to_record()


def bare_loop(input_dir: str, scratch: str, workers: int) -> int:
    """The same per-item work as the curate job (item_work: decode, every filter, hashes, thumbnail, decision) in a
    pool of `workers` processes, then the same dedupe (verified near pairs, groups, decisions) and a Parquet
    manifest in this process."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image
    from framesift.config import load_config
    from framesift.schemas import MANIFEST_SCHEMA
    from framesift.schemas.columns import Col
    from pipelines.dedupe.candidates import verified_pairs
    from pipelines.dedupe.dedupe_local import dedupe_records
    paths = sorted(os.path.join(input_dir, f) for f in os.listdir(input_dir))
    os.makedirs(scratch, exist_ok=True)
    with mp.get_context("spawn").Pool(workers, initializer=_bare_setup, initargs=(scratch,)) as pool:
        records = pool.map(_bare_item, paths, chunksize=8)
    d = load_config("curate").dedupe
    pairs = verified_pairs(records, lambda r: np.asarray(Image.open(os.path.join(scratch, r[Col.THUMBNAIL_PATH]))
                                                         .convert("RGB")), d.verify_max_distance, d.near_max_distance)
    records = dedupe_records(records, d, pairs)
    pq.write_table(pa.Table.from_pylist(records, schema=MANIFEST_SCHEMA), os.path.join(scratch, "manifest.parquet"))
    return len(records)


def cleanvision(input_dir: str, workers: int) -> int:
    import contextlib
    from cleanvision import Imagelab
    with contextlib.redirect_stdout(io.StringIO()):
        lab = Imagelab(data_path=input_dir, verbose=False)
        lab.find_issues(n_jobs=workers, verbose=False)
    return len(lab.issues)


# ---- measuring a contender in a fresh process ----

def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict) -> tuple[float, float, str]:
    cpu0, wall0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - wall0, _children_cpu() - cpu0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall, cpu, done.stdout


def run_contender(name: str, input_dir: str, scratch: str, workers: int, env: dict) -> tuple[int, float, float]:
    if name == "framesift":
        run_dir = os.path.join(scratch, "run")
        wall, cpu, _ = timed([sys.executable, "-m", "framesift.cli", "curate", "--input", input_dir,
                              "--output", run_dir, "--set", "scoring.enabled=false"], env)
        with open(os.path.join(run_dir, "report.json")) as f:
            items = json.load(f)["items"]["total"]
    else:
        wall, cpu, out = timed([sys.executable, os.path.abspath(__file__), "--contender", name, "--input", input_dir,
                                "--scratch", scratch, "--workers", str(workers)], env)
        items = int(out.strip().splitlines()[-1])
    return items, wall, cpu


def split_fixed(small: tuple[int, float], large: tuple[int, float]) -> tuple[float, float]:
    """Two (n, seconds) points -> (fixed seconds, seconds per image)."""
    (n1, t1), (n2, t2) = small, large
    per = (t2 - t1) / (n2 - n1)
    return t1 - per * n1, per


# ---- video: clip analysis against PyAV decoding the same frames ----

def video_section(scratch: str, env: dict) -> None:
    import av
    from framesift.config import load_config
    from framesift.demo_data.sources import video_path
    from framesift.schemas.columns import Col
    from pipelines.curate import item_work
    from pipelines.filters import curate_filters
    from pipelines.media.video_decode import scaled_size

    cfg = load_config("curate", overrides=["scoring.enabled=false"])
    filters = curate_filters(cfg)
    videos = [video_path("bikes"), video_path("bigbuckbunny")]
    print("\nvideo: clip analysis (split at cuts + every clip's filters, hashes, previews) vs PyAV decoding the "
          "same frames")
    print(f"  {'video':<18} {'frames':>6} {'PyAV decode':>13} {'PyAV decode+scale':>18} {'framesift':>11}"
          f" {'ratio':>7} {'ratio to decode+scale':>22}")
    for path in videos:
        def decode(side=None):
            with av.open(path) as c:
                stream = c.streams.video[0]
                stream.thread_type = "AUTO"
                n = 0
                for frame in c.decode(stream):
                    if side:
                        w, h = scaled_size(frame.width, frame.height, side)
                        frame.to_ndarray(format="rgb24", width=w, height=h)
                    n += 1
                return n

        def analyze():
            tasks = item_work.split_video(path, cfg)
            for t in tasks:
                item_work.analyze_clip(t, cfg, filters, os.path.join(scratch, "video_run"))
            return tasks[0]["probe"][Col.FRAME_COUNT]

        rates = {}
        for label, fn in (("decode", decode), ("scaled", lambda: decode(cfg.analysis.video_max_side)),
                          ("framesift", analyze)):
            fn()        # warm: imports, file cache
            c0, w0 = time.process_time(), time.perf_counter()
            frames = fn()
            rates[label] = (frames / (time.perf_counter() - w0), frames / (time.process_time() - c0))
        f, d, s = rates["framesift"], rates["decode"], rates["scaled"]
        print(f"  {os.path.basename(path):<18} {frames:>6} {d[0]:>9.0f} f/s {s[0]:>14.0f} f/s {f[0]:>7.0f} f/s"
              f" {f[0] / d[0]:>7.2f} {f[0] / s[0]:>22.2f}   (per CPU-second: {f[1] / d[1]:.2f}, {f[1] / s[1]:.2f})")

    # what the crash isolation of decoding (analysis.isolate_video_decoding / isolate_image_decoding, both on by
    # default: pipelines/media/helper_process.py) costs, through the whole job, on videos and 1 MP images together
    from benchmarks.megapixel_corpus import build_corpus
    media = os.path.join(scratch, "isolation_media")
    build_corpus(os.path.join(media, "images"), 100, seed=1)
    for i, path in enumerate(videos * 2):
        shutil.copy(path, os.path.join(media, f"{i}_{os.path.basename(path)}"))
    costs = {}
    for isolate in (False, True):
        run_dir = os.path.join(scratch, f"isolation_run_{isolate}")
        flag = str(isolate).lower()
        costs[isolate] = timed([sys.executable, "-m", "framesift.cli", "curate", "--input", media, "--output", run_dir,
                                "--set", "scoring.enabled=false", "--set", f"analysis.isolate_video_decoding={flag}",
                                "--set", f"analysis.isolate_image_decoding={flag}"], env)[:2]
    (w0, c0), (w1, c1) = costs[False], costs[True]
    print(f"  isolation cost: decoding in a helper process (the default) on {len(videos) * 2} videos + 100 images: "
          f"{w1:.1f} s wall / {c1:.1f} CPU-s vs {w0:.1f} s / {c0:.1f} CPU-s in-process "
          f"({100 * (w1 / w0 - 1):+.0f}% wall, {100 * (c1 / c0 - 1):+.0f}% CPU; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,2000", help="two corpus sizes (images), smaller first")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="processes for CleanVision and the "
                        "minimal loop (framesift uses its default: every core)")
    parser.add_argument("--skip", action="append", default=[], choices=["cleanvision", "video"])
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:          # inside a contender's own process
        run = {"minimal": lambda: minimal_loop(args.input, args.scratch, args.workers),
               "bare": lambda: bare_loop(args.input, args.scratch, args.workers),
               "CleanVision": lambda: cleanvision(args.input, args.workers)}[args.contender]
        count = run()
        print(count)
        return

    sys.path.insert(0, ROOT)
    from benchmarks.megapixel_corpus import build_corpus
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    sizes = [int(s) for s in args.sizes.split(",")]
    contenders = ["framesift", "minimal"] + ([] if "cleanvision" in args.skip else ["CleanVision"]) + ["bare"]
    work = tempfile.mkdtemp(prefix="fs-bench-")
    try:
        print(f"{os.cpu_count()} cores; 1 MP JPEGs (1152x864) cut from wheel photos; workers {args.workers}")
        results = {}
        print(f"\n  {'tool':<12} {'images':>6} {'wall s':>8} {'images/s':>9} {'CPU s':>8} {'CPU ms/image':>13}")
        for n in sizes:
            corpus = os.path.join(work, f"corpus{n}")
            build_corpus(corpus, n)
            for name in contenders:
                scratch = os.path.join(work, f"{name}{n}")
                items, wall, cpu = results[name, n] = run_contender(name, corpus, scratch, args.workers, env)
                shutil.rmtree(scratch, ignore_errors=True)
                print(f"  {name:<12} {n:>6} {wall:>8.1f} {items / wall:>9.1f} {cpu:>8.1f} {1000 * cpu / n:>13.1f}",
                      flush=True)
                if items != n:
                    print(f"  WARNING: {name} reported {items} items for {n} images")
            shutil.rmtree(corpus, ignore_errors=True)
        n = sizes[-1]
        ours = results["framesift", n]
        print(f"\nat {n} images, framesift images/s over theirs (wall; per CPU-second in brackets); load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}:")
        for name in contenders[1:]:
            theirs = results[name, n]
            ratio = theirs[1] / ours[1]
            goal = GOALS[name]
            print(f"  vs {name:<12} {ratio:5.2f}  ({theirs[2] / ours[2]:.2f})   goal >= {goal}: "
                  f"{'met' if ratio >= goal else 'NOT met'}"
                  + ("   <- like-for-like: the curate job (Beam, decoding isolated) vs the bare loop doing its work"
                     if name == "bare" else ""))
        if len(sizes) == 2:
            print("\nfixed + per-image cost (from the two sizes): wall | CPU")
            for name in contenders:
                fw, pw = split_fixed(*[(m, results[name, m][1]) for m in sizes])
                fc, pc = split_fixed(*[(m, results[name, m][2]) for m in sizes])
                print(f"  {name:<12} {fw:6.1f} s + {1000 * pw:5.1f} ms/image | {fc:6.1f} CPU-s + "
                      f"{1000 * pc:5.1f} CPU-ms/image")
        if "video" not in args.skip:
            video_section(work, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
