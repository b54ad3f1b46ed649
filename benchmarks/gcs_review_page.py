"""Review queue on a gs:// run: one page of 48 thumbnails read from a bucket, cold (empty local cache) and warm,
against reading each thumbnail from the bucket on every render (no cache) and against the same run on local disk.

Runs its own GCS emulator (gcp-storage-emulator, a dev dependency) on a free loopback port, so the bucket's
latency here is loopback HTTP; a real bucket adds tens of milliseconds per request, which the cache saves on every
render after the first and the parallel prefetch saves on the first.

    python benchmarks/gcs_review_page.py [--rows 20000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.synthetic_manifest import write_synthetic_run  # noqa: E402
from framesift.schemas.columns import Col  # noqa: E402


def _page(query, media, offset):
    from curation_ui.manifest_query import QueueQuery
    rows = query.page(QueueQuery(), offset, 48).rows
    media.prefetch([r[Col.THUMBNAIL_PATH] for r in rows])
    thumbs = [media.run_file(r[Col.THUMBNAIL_PATH]) for r in rows]
    assert len(rows) == 48 and all(thumbs)


def _uncached(query, run, offset):
    from curation_ui.manifest_query import QueueQuery
    from framesift import run_files
    rows = query.page(QueueQuery(), offset, 48).rows
    thumbs = [run_files.read_bytes(run_files.join(run, r[Col.THUMBNAIL_PATH])) for r in rows]
    assert all(thumbs)


def _timed(fn, repeat):
    out = []
    for i in range(repeat):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    from tests.gcs_emulator import create_bucket, running_emulator, upload_tree

    tmp = tempfile.mkdtemp(prefix="framesift-gcs-bench-")
    try:
        local = os.path.join(tmp, "run")
        # one distinct thumbnail per row of the pages read, so no page reuses another's files
        write_synthetic_run(local, args.rows, thumbnails=48 * (2 * args.repeat + 2))
        with running_emulator() as env:
            os.environ.update(env, FRAMESIFT_CACHE_DIR=os.path.join(tmp, "cache"))
            create_bucket(env, "bench")
            t = time.perf_counter()
            files = upload_tree(env, local, "gs://bench/run")
            print(f"uploaded {files} files in {time.perf_counter() - t:.1f}s")
            from curation_ui.manifest_query import ManifestQuery
            from curation_ui.media import MediaRoots
            run = "gs://bench/run"
            t = time.perf_counter()
            query = ManifestQuery(run)
            print(f"index of {args.rows:,} rows built from the bucket: {time.perf_counter() - t:.2f}s")
            media = MediaRoots(run)
            # pages 0..repeat-1 cold (each a new page, empty cache), then the same pages again warm
            cold = _timed(lambda i: _page(query, media, 48 * i), args.repeat)
            warm = _timed(lambda i: _page(query, media, 48 * i), args.repeat)
            uncached = _timed(lambda i: _uncached(query, run, 48 * (args.repeat + i)), args.repeat)
            local_query, local_media = ManifestQuery(local), MediaRoots(local)
            on_disk = _timed(lambda i: _page(local_query, local_media, 48 * i), args.repeat)
        print(f"page of 48 thumbnails (median of {args.repeat}): gs:// cold {cold * 1000:.0f} ms, "
              f"gs:// warm {warm * 1000:.0f} ms, gs:// uncached sequential {uncached * 1000:.0f} ms, "
              f"local disk {on_disk * 1000:.0f} ms")
        print(f"ratios: uncached/cold {uncached / cold:.2f}x, uncached/warm {uncached / warm:.2f}x, "
              f"warm/local {warm / on_disk:.2f}x")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
