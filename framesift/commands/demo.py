"""`framesift demo [--output DIR]`: build the demo corpus, run every stage that exists on it, say where to look."""
import os
import time


def add_arguments(parser):
    parser.add_argument("--output", default="demo_out", metavar="DIR",
                        help="where the corpus (DIR/data) and the curate run (DIR/curate) go (default: demo_out)")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier demo run in DIR")


def run(args, beam_args):
    from framesift.config import load_config
    from framesift.demo_data import build_demo_corpus
    from pipelines.curate.job import format_summary, run_curate

    started = time.time()
    data_dir = os.path.join(args.output, "data")
    if not os.path.exists(os.path.join(data_dir, "labels.csv")):
        summary = build_demo_corpus(data_dir)
        print(f"[1/2] demo corpus: {sum(summary.values())} files -> {data_dir}/media ({time.time() - started:.0f}s)")
    else:
        print(f"[1/2] demo corpus: reusing {data_dir}")
    cfg = load_config("curate")
    cfg.ingest.sidecars = [os.path.join(data_dir, "sidecar.csv")]
    run_dir = os.path.join(args.output, "curate")
    report = run_curate(cfg, [os.path.join(data_dir, "media")], run_dir, beam_args=beam_args,
                        overwrite=args.overwrite)
    print(f"[2/2] curate ({time.time() - started:.0f}s total)")
    print(format_summary(report))
    print("\nwhere to look:")
    print(f"  ground truth      {data_dir}/labels.csv")
    print(f"  manifest          {run_dir}/manifest/*.parquet  (every item, every score, every reason)")
    print(f"  dead letter       {run_dir}/dead_letter/*.jsonl")
    print(f"  previews          {run_dir}/previews/")
    print(f"  report            {run_dir}/report.html  and  report.json")
    return 0 if report["reconciled"] else 1
