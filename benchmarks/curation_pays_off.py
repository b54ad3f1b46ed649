"""Does curation pay off? The same DiT, trained for the same steps and batch, on framesift-curated digits vs on the
raw pile they were curated from, judged on held-out clean digits.

Corpus (written as PNG/JPEG files, curated by `framesift curate`'s job with its default filters and dedupe; model
scoring off, since offline its weights are untrained): scikit-learn's digits split in two halves by class; the
generator's half (898 digits) is rendered as dark ink on 160 px paper sheets (16 px per digit cell, digit box at a
recorded, jittered position), and junk is planted on top, as a share of the clean count:
    blurred     12%  Gaussian blur, radius 6 px (a digit cell is 16 px)
    dark        12%  brightness x 0.12
    flat         6%  one gray level, random label
    noisy       12%  Gaussian noise, sigma 90 grey levels
    jpeg        12%  JPEG quality 2
    duplicated  10 digits x 30 byte-identical copies (over-represented items)
Every file maps back to an 8x8 digit the same way (crop its digit box, average each 16 px cell, map paper..ink to
0..16), so junk reaches the generator as junk; the label comes from the file's source digit. Training is in pixel
space (the 8x8 digits are the "latents", as in guidance_sweep.py). Judge (benchmarks/digit_judge.py): an MLP trained
on the other half of the real digits; Fréchet distance in its hidden layer between 500 class-conditional samples and
those held-out digits, and its accuracy on the samples' intended classes.

    python benchmarks/curation_pays_off.py [--steps 1500]     (~25 min on 2 loaded CPU cores)
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

from benchmarks.digit_judge import DigitJudge  # noqa: E402
from benchmarks.guidance_sweep import sample_digits, split_halves, train_digits  # noqa: E402
from framesift.schemas.columns import Col  # noqa: E402

SHEET, CELL, PAPER, INK = 160, 16, 207.0, 36.0
JUNK_SHARES = {"blurred": 0.12, "dark": 0.12, "flat": 0.06, "noisy": 0.12, "jpeg": 0.12}
DUP_DIGITS, DUP_COPIES = 10, 30


def render(digit_0_16: np.ndarray, rng) -> tuple[np.ndarray, tuple[int, int]]:
    """Ink on slightly textured paper; returns (gray sheet, top-left of the 128 px digit box)."""
    y, x = (int(v) for v in rng.integers(4, SHEET - 8 * CELL - 4, size=2))
    coverage = np.zeros((SHEET, SHEET))
    coverage[y:y + 8 * CELL, x:x + 8 * CELL] = np.kron(digit_0_16 / 16.0, np.ones((CELL, CELL)))
    paper = PAPER + rng.normal(0, 4.0, (SHEET, SHEET)) + np.linspace(-6, 6, SHEET)[None, :]
    return np.clip(paper * (1 - coverage) + INK * coverage, 0, 255), (y, x)


def to_digit(gray: np.ndarray, box: tuple[int, int]) -> np.ndarray:
    y, x = box
    cells = gray[y:y + 8 * CELL, x:x + 8 * CELL].reshape(8, CELL, 8, CELL).mean(axis=(1, 3))
    return np.clip((PAPER - cells) / (PAPER - INK) * 16.0, 0, 16)


def build_corpus(root: str, digits_0_16: np.ndarray, labels: np.ndarray, seed: int = 0) -> list[dict]:
    """Write the files; return one row per file: file, kind, label, box."""
    rng = np.random.default_rng(seed)
    media = os.path.join(root, "media")
    os.makedirs(media, exist_ok=True)
    rows = []

    def save(gray, name, kind, label, box, fmt="png", quality=95):
        path = os.path.join(media, f"{name}.{'jpg' if fmt == 'jpeg' else 'png'}")
        img = Image.fromarray(np.repeat(np.round(gray).astype(np.uint8)[..., None], 3, -1))
        img.save(path, quality=quality) if fmt == "jpeg" else img.save(path)
        rows.append({"file": path, "kind": kind, "label": int(label), "y": box[0], "x": box[1]})
        return path

    n = len(digits_0_16)
    for i in range(n):
        gray, box = render(digits_0_16[i], rng)
        save(gray, f"clean_{i:04d}", "clean", labels[i], box)
    for kind, share in JUNK_SHARES.items():
        for j, i in enumerate(rng.choice(n, int(round(share * n)), replace=False)):
            gray, box = render(digits_0_16[i], rng)
            label = labels[i]
            if kind == "blurred":
                gray = np.asarray(Image.fromarray(gray.astype(np.uint8)).filter(ImageFilter.GaussianBlur(6)), float)
            elif kind == "dark":
                gray = gray * 0.12
            elif kind == "flat":
                gray, label = np.full_like(gray, rng.uniform(40, 220)), rng.integers(10)
            elif kind == "noisy":
                gray = np.clip(gray + rng.normal(0, 90, gray.shape), 0, 255)
            save(gray, f"{kind}_{j:04d}", kind, label, box, fmt="jpeg" if kind == "jpeg" else "png", quality=2)
    for j, i in enumerate(rng.choice(n, DUP_DIGITS, replace=False)):
        gray, box = render(digits_0_16[i], rng)
        first = save(gray, f"dup_{j:02d}_00", "duplicate", labels[i], box)
        for k in range(1, DUP_COPIES):
            path = os.path.join(media, f"dup_{j:02d}_{k:02d}.png")
            with open(first, "rb") as src, open(path, "wb") as dst:
                dst.write(src.read())
            rows.append({**rows[-1], "file": path})
    with open(os.path.join(root, "corpus.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def curate(root: str) -> set[str]:
    """framesift's curate job on the corpus; the set of kept file paths."""
    from framesift.config import load_config
    from pipelines.curate.job import run_curate
    from pipelines.curate.outputs import read_manifest
    cfg = load_config("curate", overrides=["scoring.enabled=false"])
    run = os.path.join(root, "run")
    report = run_curate(cfg, [os.path.join(root, "media")], run, beam_args=["--direct_running_mode=in_memory"])
    if not report.get("reconciled"):
        raise RuntimeError(f"curate run did not reconcile: {report}")
    table = read_manifest(run).to_pandas()
    return {os.path.abspath(u.replace("file://", "")) for u in table.loc[table[Col.KEEP], Col.SOURCE_URI]}


def digits_of(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for r in rows:
        gray = np.asarray(Image.open(r["file"]).convert("L"), np.float64)
        out.append(to_digit(gray, (r["y"], r["x"])))
    pixels = (np.stack(out)[..., None] / 8.0 - 1.0).astype(np.float32)
    return pixels, np.asarray([r["label"] for r in rows], np.int32)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--per-class", type=int, default=50)
    p.add_argument("--guidance", type=float, default=1.0)
    a = p.parse_args(argv)
    from model.digits import pixels_to_digits
    started = time.time()
    gen_x, judge_x, gen_y, judge_y = split_halves()
    judge_digits = pixels_to_digits(judge_x)[..., 0]
    judge = DigitJudge(judge_digits, judge_y)
    root = tempfile.mkdtemp(prefix="curation_pays_off_")
    rows = build_corpus(root, pixels_to_digits(gen_x)[..., 0], gen_y)
    kept = curate(root)
    curated = [r for r in rows if os.path.abspath(r["file"]) in kept]
    kinds = sorted({r["kind"] for r in rows})
    def by_kind(subset):
        return ", ".join(f"{k} {sum(r['kind'] == k for r in subset)}" for k in kinds)
    print(f"corpus: {len(rows)} files ({by_kind(rows)}); curate kept {len(curated)} ({by_kind(curated)}) in "
          f"{time.time() - started:.0f}s")
    results = {}
    for name, subset in (("raw", rows), ("curated", curated)):
        x, y = digits_of(subset)
        workdir = os.path.join(root, f"dit_{name}")
        t0 = time.time()
        summary = train_digits(x, y, workdir, a.steps)
        images, labels = sample_digits(workdir, a.per_class, a.guidance)
        results[name] = (judge.frechet(images, judge_digits), judge.accuracy(images, labels), summary["loss"],
                         len(subset), time.time() - t0)
    real = judge.frechet(pixels_to_digits(gen_x)[..., 0], judge_digits)
    print(f"\nsame DiT, {a.steps} steps x batch 64, EMA weights, heun 20 steps, guidance w={a.guidance:g}, "
          f"{a.per_class} samples per class")
    print(f"{'trained on':>10} | {'items':>5} | {'Frechet':>8} | {'accuracy':>8} | {'final loss':>10}")
    print("-" * 56)
    for name, (fd, acc, loss, n, secs) in results.items():
        print(f"{name:>10} | {n:>5} | {fd:>8.2f} | {acc:>8.3f} | {loss:>10.4f}")
    print(f"reference: the generator's own real digits vs the held-out ones: Frechet {real:.2f}")
    winner = "curated" if results["curated"][0] < results["raw"][0] else "raw"
    print(f"lower Frechet distance: {winner} ({time.time() - started:.0f}s total)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
