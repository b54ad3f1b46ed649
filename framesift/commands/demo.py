"""`framesift demo [--output DIR]`: build the demo corpus, run every stage that exists on it (curate with model
scores and dedupe, then export of the approved set), say where to look and how to review it."""
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
        print(f"[1/3] demo corpus: {sum(summary.values())} files -> {data_dir}/media ({time.time() - started:.0f}s)")
    else:
        print(f"[1/3] demo corpus: reusing {data_dir}")
    cfg = load_config("curate")
    cfg.ingest.sidecars = [os.path.join(data_dir, "sidecar.csv")]
    run_dir = os.path.join(args.output, "curate")
    report = run_curate(cfg, [os.path.join(data_dir, "media")], run_dir, beam_args=beam_args,
                        overwrite=args.overwrite)
    print(f"[2/3] curate ({time.time() - started:.0f}s total)")
    print(format_summary(report))
    approved = os.path.join(args.output, "approved.parquet")
    stats = _export(run_dir, approved)
    print(f"[3/3] export: {stats.get('exported', 0)} of {stats.get('rows', 0)} items approved under the default "
          f"policy (no human decisions yet) -> {approved}")
    print("\nwhere to look:")
    print(f"  ground truth      {data_dir}/labels.csv")
    print(f"  manifest          {run_dir}/manifest/*.parquet  (every item, every score, every reason)")
    print(f"  dead letter       {run_dir}/dead_letter/*.jsonl")
    print(f"  previews          {run_dir}/previews/")
    print(f"  report            {run_dir}/report.html  and  report.json")
    print(f"  embeddings        {run_dir}/embeddings/*.parquet   dedupe index  {run_dir}/dedupe_index/")
    print(f"  approved set      {approved}")
    print(f"\nreview it:  framesift review --run {run_dir} --media-root {data_dir}/media")
    print(f"re-export:  framesift export --run {run_dir} --output {approved}")
    return 0 if report["reconciled"] else 1


def _export(run_dir: str, output: str) -> dict:
    """The approved set as the review UI's export writes it; with no review store yet, the pipeline's decisions."""
    from curation_ui.export import export_approved
    from curation_ui.store import DecisionStore
    return export_approved(run_dir, DecisionStore("sqlite://"), output, "pipeline_then_human")
