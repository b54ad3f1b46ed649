"""`framesift demo [--output DIR]`: build the demo corpus, run every stage that exists on it (curate with model
scores and dedupe, export of the approved set, encode into latent shards, a brief diffusion
training run with a sample grid), say where to look and how to review it."""
import os
import sys
import time


def add_arguments(parser):
    parser.add_argument("--output", default="demo_out", metavar="DIR",
                        help="where the corpus (DIR/data) and the curate run (DIR/curate) go (default: demo_out)")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier demo run in DIR")
    parser.add_argument("--autoencoder-seconds", type=float, default=90.0, metavar="S",
                        help="how long the demo trains its small autoencoder on the approved images (0: skip)")
    parser.add_argument("--dit-steps", type=int, default=150, metavar="N",
                        help="steps of the brief diffusion training on the demo's shards (0: skip)")


def run(args, beam_args):
    from framesift.config import load_config
    from framesift.demo_data import build_demo_corpus
    from pipelines.curate.job import JobFailed, format_summary, run_curate

    started = time.time()
    data_dir = os.path.join(args.output, "data")
    if not os.path.exists(os.path.join(data_dir, "labels.csv")):
        summary = build_demo_corpus(data_dir)
        print(f"[1/6] demo corpus: {sum(summary.values())} files -> {data_dir}/media ({time.time() - started:.0f}s)")
    else:
        print(f"[1/6] demo corpus: reusing {data_dir}")
    cfg = load_config("curate")
    cfg.ingest.sidecars = [os.path.join(data_dir, "sidecar.csv")]
    run_dir = os.path.join(args.output, "curate")
    try:
        report = run_curate(cfg, [os.path.join(data_dir, "media")], run_dir, beam_args=beam_args,
                            overwrite=args.overwrite, console=True)   # progress line; job output to RUN/job.log
    except JobFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"[2/6] curate ({time.time() - started:.0f}s total)")
    print(format_summary(report))
    approved = os.path.join(args.output, "approved.parquet")
    stats = _export(run_dir, approved)
    print(f"[3/6] export: {stats.get('exported', 0)} of {stats.get('rows', 0)} items approved under the default "
          f"policy (no human decisions yet) -> {approved}")
    if args.autoencoder_seconds > 0:
        ae_dir = os.path.join(args.output, "autoencoder")
        if args.overwrite and os.path.isdir(ae_dir):
            import shutil
            shutil.rmtree(ae_dir)       # otherwise the run resumes and keeps training the earlier demo's model
        _train_autoencoder(approved, ae_dir, args.autoencoder_seconds, started)
    shards, encoded = _encode(args.output, approved, run_dir, args.overwrite)
    print(f"[5/6] encode: {encoded['examples']} examples + {encoded['dead_letters']} dead letters in "
          f"{encoded['shards']} shard(s) with {encoded['autoencoder']} -> {shards} "
          f"({time.time() - started:.0f}s total)")
    if args.dit_steps > 0:
        from framesift.commands.demo_train import train_and_sample
        dit = train_and_sample(shards, args.output, steps=args.dit_steps, overwrite=args.overwrite)
        print(f"[6/6] diffusion: {dit['steps']} steps on latents {dit['latent_shape']}, loss {dit['loss']:.3f}; "
              f"16 samples ({dit['decoded']}) -> {dit['grid']} ({time.time() - started:.0f}s total)")
    print("\nwhere to look:")
    print(f"  ground truth      {data_dir}/labels.csv")
    print(f"  manifest          {run_dir}/manifest/*.parquet  (every item, every score, every reason)")
    print(f"  dead letter       {run_dir}/dead_letter/*.jsonl")
    print(f"  previews          {run_dir}/previews/")
    print(f"  report            {run_dir}/report.html  and  report.json")
    print(f"  embeddings        {run_dir}/embeddings/*.parquet   dedupe index  {run_dir}/dedupe_index/")
    print(f"  approved set      {approved}")
    if args.autoencoder_seconds > 0:
        print(f"  autoencoder       {args.output}/autoencoder/  (eval.jsonl, eval/*.png, autoencoder/ checkpoint)")
    print(f"  latent shards     {shards}/  (TFDS ArrayRecord; metadata.json, dead_letter.jsonl)")
    if args.dit_steps > 0:
        print(f"  diffusion         {args.output}/dit/ (metrics.jsonl, checkpoints)   samples  {args.output}/samples.png")
    print(f"\nreview it:  framesift review --run {run_dir} --media-root {data_dir}/media")
    print(f"re-export:  framesift export --run {run_dir} --output {approved}")
    print(f"shards:     framesift shards verify {shards}   |   framesift shards inspect {shards} --grid grid.png")
    print(f"generator:  framesift train --data {shards} --workdir {args.output}/dit --set train.steps=2000   |   "
          f"framesift sample --workdir {args.output}/dit --output grid.png")
    return 0 if report["reconciled"] and encoded["reconciled"] else 1


# small enough to encode the demo set in well under a minute on two CPU cores, deep enough for 8x downsampling
DEMO_AUTOENCODER = {"block_out_channels": [32, 32, 64, 64], "layers_per_block": 1, "norm_num_groups": 32,
                    "mid_block_add_attention": False}


def _demo_autoencoder(output: str) -> str:
    """The autoencoder the demo trained on the approved images (DIR/autoencoder/autoencoder) when that step ran;
    else a tiny random KL autoencoder (nothing can be downloaded here), made once per demo directory so reruns
    encode with the same weights and write the same shards."""
    trained = os.path.join(output, "autoencoder", "autoencoder")
    if os.path.exists(os.path.join(trained, "autoencoder.json")):
        return trained
    path = os.path.join(output, "autoencoder_random")
    if not os.path.isdir(path):
        from model.autoencoder import KLArch, build_autoencoder, save_autoencoder
        save_autoencoder(build_autoencoder(KLArch(**DEMO_AUTOENCODER), seed=0), path)
    return path


def _encode(output: str, approved: str, run_dir: str, overwrite: bool) -> tuple[str, dict]:
    from framesift.config import load_config
    from pipelines.encode.job import run_encode
    cfg = load_config("encode", overrides=["image_size=64", "examples_per_shard=64", "clip_frames=9"])
    shards = os.path.join(output, "shards")
    ckpt = _demo_autoencoder(output)
    # in this process (the encode default): the model is loaded once and never forked
    report = run_encode(approved, ckpt, shards, cfg, runs=[run_dir], overwrite=overwrite)
    return shards, {**report, "autoencoder": ckpt}


def _train_autoencoder(approved: str, workdir: str, seconds: float, started: float) -> None:
    """A small KL autoencoder (8x down, 4 latent channels) trained from scratch on the approved images for
    `seconds`; PSNR on held-out items before and after."""
    from framesift.config import load_config
    from model.autoencoder_training.trainer import train
    from pipelines.media.frame_reader import read_frame

    cfg = load_config("autoencoder", overrides=[
        "arch.block_out_channels=[32, 32, 64, 64]", "arch.layers_per_block=1", "arch.norm_num_groups=16",
        "data.image_size=64", "data.eval_items=8", "data.frames_per_clip=2", "train.batch_size=8",
        "train.steps=100000", "train.learning_rate=0.001", "train.warmup_steps=20", "train.eval_every=100000",
        "train.checkpoint_every=200"])
    result = train(cfg, approved, workdir, read_frame, time_limit_s=seconds, progress=False)
    evals = result["evals"]
    if len(evals) >= 2:
        print(f"[4/6] autoencoder: {result['end_step'] - result['start_step']} steps in ~{seconds:.0f}s, held-out "
              f"PSNR {evals[0]['psnr']:.2f} dB -> {evals[-1]['psnr']:.2f} dB, SSIM {evals[0]['ssim']:.3f} -> "
              f"{evals[-1]['ssim']:.3f} ({time.time() - started:.0f}s total)")
    else:
        print(f"[4/6] autoencoder: trained to step {result['end_step']} -> {workdir} (no new eval this time)")


def _export(run_dir: str, output: str) -> dict:
    """The approved set as the review UI's export writes it; with no review store yet, the pipeline's decisions."""
    from curation_ui.export import export_approved
    from curation_ui.store import DecisionStore
    return export_approved(run_dir, DecisionStore("sqlite://"), output, "pipeline_then_human")
