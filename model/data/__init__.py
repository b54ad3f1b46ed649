"""Readers of the latent shards that `framesift encode` writes (a TFDS ArrayRecord dataset directory).

For the trainer (one call):

    from model.data import latent_dataset
    info = LatentShardsInfo.read(SHARDS)                     # metadata: autoencoder, channel mean/std, counts
    ds = latent_dataset(SHARDS, batch_size=32, seed=0)      # grain.IterDataset, infinite unless num_epochs=
    it = iter(ds); batch = next(it)
    batch["latent"]             float16 (B, h, w, C) images / (B, T, h, w, C) clips: the posterior mean as stored
    batch["latent_logvar"]      float16, same shape (when the dataset stored it)
    z = device_latents(batch, key, info.metadata)   # jax float32: posterior sample, normalised per channel
                                (host-side instead: latent_dataset(..., sample_posterior=True, normalize=True))
    batch["label"]              int32 (B,), -1 where none
    batch["picture_embedding"]  float32 (B, D) open_clip image embedding; zeros where has_picture_embedding is False
    batch["caption_embedding"]  float32 (B, D') text embedding (D' = 0 until the encoder adds them)
    batch["aesthetic"], ["motion"]  float32 (B,) recorded scores (NaN where not scored)
    batch["original_size"], ["crop_coords"], ["target_size"]  int32 (B, 2) SDXL micro-conditioning (h, w)/(top, left)
    batch["item_id"], ["caption"]  str arrays (B,); batch["index"] int64 (B,) record numbers
    it.get_state() / it.set_state(state)   checkpoint and resume exactly

Multi-host: `shard_options=grain.sharding.ShardOptions(jax.process_index(), jax.process_count())`.
Worker processes: `worker_count=N` (spawned; guard the entry point with `if __name__ == "__main__":`).
Per-example access: `LatentShardSource(SHARDS)[i]` (a picklable Grain data source); dataset facts:
`LatentShardsInfo.read(SHARDS).metadata` (autoencoder, channel statistics, shards, counts).
"""
from model.data.device_latents import device_latents, latent_stats
from model.data.latent_pipeline import BATCH_FIELDS, latent_dataset
from model.data.latent_source import LatentShardSource, LatentShardsInfo

__all__ = ["BATCH_FIELDS", "device_latents", "latent_stats", "latent_dataset", "LatentShardSource", "LatentShardsInfo"]
