"""Launch the encode job: check inputs and the autoencoder up front, plan the shards, encode the missing ones,
then write the dataset's metadata from the shards' state records.

Resumable: the plan (item ids per shard + encode config + checkpoint sha256) is fixed before anything runs, and each
shard's state record carries its fingerprint, so a rerun encodes only the shards without a matching record.
Reproducible: the same plan gives the same batches, latents and bytes (dataset metadata included).
"""
from __future__ import annotations

import io
from typing import Optional

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions, WorkerOptions

from framesift.config import EncodeConfig, config_hash, to_dict
from framesift.run_layout import EMBEDDINGS_DIR
from framesift.schemas import LatentDatasetMetadata, read_embeddings
from framesift.schemas.columns import Col
from framesift.schemas.latent import DATASET_NAME, LATENT_FEATURES_VERSION, SPLIT
from framesift.schemas.latent_metadata import channel_stats
from pipelines.encode import dataset_files as files
from pipelines.encode import plan as planning
from pipelines.encode.autoencoder_handler import DEFAULT_LOADER, autoencoder_config, checkpoint_digest, load_once
from pipelines.encode.pipeline import EncodeShards
from pipelines.encode.shard_writer import STATE_DIR, write_bytes_atomic
from pipelines.gcs_emulator_access import add_worker_plugin


class EncodeInputError(ValueError):
    """The approved set, a run directory or the autoencoder checkpoint cannot be used."""


def pipeline_options(beam_args: list[str]) -> PipelineOptions:
    """Default: DirectRunner in this process (in_memory). The model runs where it loads; worker processes, when
    asked for (--direct_running_mode=multi_processing), are fresh interpreters Beam starts with subprocess.Popen,
    never forked from a process with JAX threads; decoding runs in a helper process (pipeline.PrepareItems)."""
    options = PipelineOptions(list(beam_args), save_main_session=False)
    given = " ".join(beam_args)
    if options.view_as(StandardOptions).runner is None and "--direct_running_mode" not in given:
        options.view_as(DirectOptions).direct_running_mode = "in_memory"
        options.view_as(DirectOptions).direct_num_workers = 1
    add_worker_plugin(options)     # against a GCS emulator, workers skip the ~26 s credential look-up
    if "--default_sdk_harness_log_level" not in given:
        options.view_as(WorkerOptions).default_sdk_harness_log_level = "WARNING"
    return options


def _read_bytes(path: str) -> bytes:
    with FileSystems.open(path) as f:
        return f.read()


def _load_embeddings(runs: list[str]) -> list[pa.Table]:
    tables = []
    for run in runs:
        if not FileSystems.exists(FileSystems.join(run, "manifest")):
            raise EncodeInputError(f"--run {run}: not a curate run (no manifest/)")
        for m in FileSystems.match([FileSystems.join(run, EMBEDDINGS_DIR, "*.parquet")])[0].metadata_list:
            try:
                tables.append(read_embeddings(io.BytesIO(_read_bytes(m.path))))
            except (ValueError, pa.ArrowException) as e:
                raise EncodeInputError(f"--run {run}: {m.path}: {e}") from None
    return tables


def _check_autoencoder(checkpoint: str, loader: str, cfg: EncodeConfig) -> tuple[dict, int]:
    """Load it once here: a bad checkpoint stops the job before any worker starts; its config goes to metadata."""
    try:
        ae = load_once(loader, checkpoint)
    except Exception as e:
        raise EncodeInputError(f"--autoencoder {checkpoint}: cannot load ({type(e).__name__}: {e})") from None
    ae_cfg = autoencoder_config(ae)
    down = int(getattr(ae.config, "downsample_factor", 8))   # a property of some configs, not a field
    step = cfg.bucket_step if cfg.aspect_buckets else cfg.image_size
    if step % down:
        raise EncodeInputError(f"{'bucket_step' if cfg.aspect_buckets else 'image_size'} {step} is not a multiple "
                               f"of the autoencoder's downsample_factor {down}")
    return ae_cfg, int(ae.config.latent_channels)     # a property of some configs (Wan: z_dim)


def run_encode(approved: str, checkpoint: str, output: str, cfg: EncodeConfig, runs: list[str] = (),
               beam_args: list[str] = (), overwrite: bool = False, loader: str = DEFAULT_LOADER,
               pipeline: Optional[beam.Pipeline] = None) -> dict:
    try:
        table = planning.read_approved(_read_bytes(approved), approved)
    except (OSError, ValueError, pa.ArrowException) as e:
        raise EncodeInputError(f"--approved {approved}: {e}") from None
    if table.num_rows == 0:
        raise EncodeInputError(f"--approved {approved}: the approved set is empty; nothing to encode")
    try:
        table = planning.attach_embeddings(table, _load_embeddings(list(runs)))
    except ValueError as e:
        raise EncodeInputError(f"--run {' '.join(runs)}: {e}") from None
    ae_cfg, channels = _check_autoencoder(checkpoint, loader, cfg)
    ckpt_sha = checkpoint_digest(checkpoint)
    chash = config_hash(cfg)
    job_fp = planning.fingerprint([LATENT_FEATURES_VERSION, to_dict(cfg), ckpt_sha, channels])
    ids = table.column(Col.ITEM_ID).to_pylist()
    plans = planning.make_plan(ids, cfg.examples_per_shard, job_fp)
    # row contents (captions, scores, embeddings) are part of what a shard holds: a change redoes the shard
    for p in plans:
        p.fingerprint = planning.fingerprint([p.fingerprint, planning.rows_of(table, p).to_pylist()])
    plan_fp = planning.plan_fingerprint(plans)

    shards_dir = output.rstrip("/") if "://" in output else output
    previous = files.read_plan_record(shards_dir)
    leftovers = files.dataset_files(shards_dir)
    if leftovers and (overwrite or previous is None or previous.get("plan_fingerprint") != plan_fp):
        if not overwrite:
            raise FileExistsError(f"{output} already holds a latent dataset of other inputs or settings; "
                                  f"choose a new --output or pass --overwrite to replace it")
        FileSystems.delete(leftovers)
    files.write_plan_record(shards_dir, {"plan_fingerprint": plan_fp, "shards": len(plans)})

    pending = []
    for p in plans:
        state = files.read_state(shards_dir, p.index)
        shard_path = FileSystems.join(shards_dir, p.file_name)
        done = (state is not None and state.fingerprint == p.fingerprint and files.exists(shard_path)
                and FileSystems.match([shard_path])[0].metadata_list[0].size_in_bytes == state.shard.num_bytes)
        if not done:
            pending.append(p)
    if pending:
        plan_paths = []
        for p in pending:
            rows = planning.rows_of(table, p)
            rows = rows.append_column("shard", pa.array([p.index] * rows.num_rows, pa.int32()))
            buf = io.BytesIO()
            pq.write_table(rows, buf)
            path = FileSystems.join(shards_dir, STATE_DIR, "plan", f"shard-{p.index:05d}.parquet")
            write_bytes_atomic(path, buf.getvalue())
            plan_paths.append(path)
        shards = {p.index: {"file_name": p.file_name, "fingerprint": p.fingerprint, "planned": len(p.item_ids)}
                  for p in pending}
        p_ = pipeline or beam.Pipeline(options=pipeline_options(list(beam_args)))
        _ = (p_ | "PlanFiles" >> beam.Create(plan_paths)
             | "EncodeShards" >> EncodeShards(cfg, checkpoint, loader, shards_dir, shards, channels, chash))
        p_.run().wait_until_finish()
    return finalize(shards_dir, plans, table, cfg, chash, ae_cfg, checkpoint, ckpt_sha, approved, runs, plan_fp,
                    channels, written=len(pending))


def finalize(shards_dir, plans, table, cfg, chash, ae_cfg, checkpoint, ckpt_sha, approved, runs, plan_fp, channels,
             written: int) -> dict:
    states = [files.read_state(shards_dir, p.index) for p in plans]
    missing = [p.file_name for p, s in zip(plans, states) if s is None or s.fingerprint != p.fingerprint]
    if missing:
        raise RuntimeError(f"encode job finished without writing {len(missing)} shard(s): {missing[:3]}")
    dead = [line for s in states for line in s.dead_letters]
    positions = sum(s.positions for s in states)
    total = [sum(s.channel_sum[c] for s in states) for c in range(channels)]
    total_sq = [sum(s.channel_sum_sq[c] for s in states) for c in range(channels)]
    mean, std = channel_stats(positions, total, total_sq)
    examples = sum(s.shard.examples for s in states)
    unbalanced = [s.shard.file for s in states if s.shard.examples + s.shard.dead_letters != s.shard.planned]
    counts = {"approved": table.num_rows, "examples": examples, "dead_letters": len(dead),
              "reconciled": examples + len(dead) == table.num_rows and not unbalanced}
    record_keys = [b for s in states for b in s.buckets]
    keys = sorted(set(record_keys))
    embedding_dims = {"picture": _longest(table, "picture_embedding"),
                      "caption": _longest(table, "caption_embedding")}    # metadata keys, not manifest columns
    config_hashes = sorted(set(table.column(Col.CONFIG_HASH).to_pylist()))
    meta = LatentDatasetMetadata(
        dataset_name=DATASET_NAME, split=SPLIT, examples_per_shard=cfg.examples_per_shard, latent_channels=channels,
        latent_dtype=cfg.latent_dtype, store_logvar=cfg.store_logvar,
        sampling="posterior_sample" if cfg.store_logvar else "mean",
        # the checkpoint's digest: a dataset metadata key, not a manifest column
        autoencoder={"checkpoint": checkpoint, "sha256": ckpt_sha, "config": ae_cfg},
        sources=[{"run": r, "config_hashes": config_hashes} for r in runs] or
                [{"run": "", "config_hashes": config_hashes}],
        approved={"path": approved, "rows": table.num_rows,
                  "item_ids_sha256": planning.fingerprint(table.column(Col.ITEM_ID).to_pylist())},
        encode_config=to_dict(cfg), encode_config_hash=chash, shards=[s.shard for s in states],
        latent_channel_mean=mean, latent_channel_std=std, counts=counts, plan_fingerprint=plan_fp,
        embedding_dims=embedding_dims,
        buckets={k: record_keys.count(k) for k in keys})
    files.write_dead_letters(shards_dir, dead)
    files.write_buckets(shards_dir, keys, [keys.index(k) for k in record_keys])
    files.write_tfds_metadata(shards_dir, meta)
    leftover_plans = FileSystems.match([FileSystems.join(shards_dir, STATE_DIR, "plan", "*")])[0].metadata_list
    if leftover_plans:
        FileSystems.delete([m.path for m in leftover_plans])
    files.remove_empty_local_dir(FileSystems.join(shards_dir, STATE_DIR, "plan"))
    return {"shards_dir": shards_dir, "shards": len(plans), "shards_written": written,
            "shards_reused": len(plans) - written, **counts,
            "latent_channel_mean": [round(m, 4) for m in mean], "latent_channel_std": [round(s, 4) for s in std],
            "dead_letter_file": FileSystems.join(shards_dir, files.DEAD_LETTER_FILE)}


def _longest(table: pa.Table, field: str) -> int:
    return int(pa.compute.max(pa.compute.list_value_length(table.column(field))).as_py() or 0)


def format_summary(report: dict) -> str:
    ok = "reconciled" if report["reconciled"] else "NOT RECONCILED"
    return (f"encode: {report['approved']:,} approved -> {report['examples']:,} examples + "
            f"{report['dead_letters']:,} dead letters ({ok}); {report['shards']} shard(s), "
            f"{report['shards_written']} written, {report['shards_reused']} already done\n"
            f"latent channel mean {report['latent_channel_mean']}  std {report['latent_channel_std']}")


__all__ = ["EncodeInputError", "run_encode", "format_summary"]
