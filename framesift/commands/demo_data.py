"""`framesift demo-data OUT_DIR`: the bundled demo corpus, byte-identical on every run."""
import os
import time


def add_arguments(parser):
    parser.add_argument("out_dir", metavar="OUT_DIR", help="where to write media/, labels.csv, sidecar.csv, LICENSES")


def run(args, extra):
    from framesift.demo_data import build_demo_corpus
    start = time.time()
    summary = build_demo_corpus(args.out_dir)
    total = sum(summary.values())
    print(f"demo corpus: {total} files in {os.path.join(args.out_dir, 'media')} ({time.time() - start:.1f}s)")
    for kind, n in sorted(summary.items()):
        print(f"  {kind:20s} {n}")
    print(f"ground truth: {os.path.join(args.out_dir, 'labels.csv')}")
    return 0
