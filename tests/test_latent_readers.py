"""The Grain reader of latent shards (model/data): batches of one shape, seeded order, exact resume, multi-host
shards, posterior sampling and normalisation, worker processes; and the fast decoder against TFDS's own."""
import os
import subprocess
import sys

import grain
import numpy as np
import pytest

from model.data import LatentShardSource, LatentShardsInfo, latent_dataset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _ids(batches):
    return [tuple(b["item_id"]) for b in batches]


def test_fast_decoder_matches_tfds_on_every_record(encoded_shards):
    import tensorflow_datasets as tfds
    from framesift.schemas.latent import FastExampleDecoder
    features = tfds.builder_from_directory(encoded_shards["out"]).info.features
    fast = FastExampleDecoder(features)
    source = LatentShardSource(encoded_shards["out"])
    for i in range(len(source)):
        raw = source.raw(i)
        want, got = features.deserialize_example_np(raw), fast(raw)
        assert set(want) == set(got)
        for key, value in want.items():
            if isinstance(value, np.ndarray):
                assert got[key].dtype == value.dtype and got[key].shape == value.shape, key
                np.testing.assert_array_equal(got[key], value)
            else:
                assert type(got[key]) is type(value), key
                assert got[key] == value or (value != value and got[key] != got[key]), key


def test_one_epoch_batches_share_a_shape_and_cover_the_buckets(encoded_shards):
    batches = list(latent_dataset(encoded_shards["out"], batch_size=4, seed=3, num_epochs=1))
    # 12 images -> 3 full batches of (4, 4, 4, 4); the single clip cannot fill a batch and is dropped
    assert len(batches) == 3
    for b in batches:
        assert b["latent"].shape == (4, 4, 4, 4) and b["latent"].dtype == np.float16     # as stored
        assert b["latent_logvar"].shape == (4, 4, 4, 4)
        # both embeddings, zeros where an item has none (has_* says which)
        assert b["picture_embedding"].shape == (4, 32) and b["caption_embedding"].shape == (4, 32)
        for kind in ("picture", "caption"):
            has, vectors = b[f"has_{kind}_embedding"], b[f"{kind}_embedding"]
            assert not vectors[~has].any() and np.allclose(np.linalg.norm(vectors[has], axis=1), 1, atol=1e-5)
        assert [i in encoded_shards["captions_scored"] for i in b["item_id"]] == b["has_caption_embedding"].tolist()
    seen = [i for b in batches for i in b["item_id"]]
    assert len(set(seen)) == 12 and all(i.startswith("img") for i in seen)
    # clips batch with clips: (B, T, h, w, C)
    clip = next(iter(latent_dataset(encoded_shards["out"], batch_size=1, seed=0, num_epochs=1)))
    shapes = {b["latent"].shape for b in latent_dataset(encoded_shards["out"], batch_size=1, seed=0, num_epochs=1)}
    assert shapes == {(1, 4, 4, 4), (1, 5, 4, 4, 4)} and clip["latent"].ndim in (4, 5)


def test_seeded_order_and_exact_resume(encoded_shards):
    out = encoded_shards["out"]
    first = _ids(latent_dataset(out, batch_size=2, seed=5, num_epochs=2))
    assert first == _ids(latent_dataset(out, batch_size=2, seed=5, num_epochs=2))
    assert first != _ids(latent_dataset(out, batch_size=2, seed=6, num_epochs=2))
    assert first[:6] != first[6:12]      # each epoch reshuffles
    it = iter(latent_dataset(out, batch_size=2, seed=5, num_epochs=2))
    head = [next(it) for _ in range(4)]
    state = it.get_state()
    rest = list(it)
    resumed = iter(latent_dataset(out, batch_size=2, seed=5, num_epochs=2))
    resumed.set_state(state)
    again = list(resumed)
    assert _ids(head) + _ids(rest) == first and _ids(again) == _ids(rest)
    for a, b in zip(rest, again):      # the posterior samples too
        np.testing.assert_array_equal(a["latent"], b["latent"])


def test_shard_options_split_records_evenly_and_disjointly(encoded_shards):
    out = encoded_shards["out"]
    per_host = []
    for index in range(3):
        opts = grain.sharding.ShardOptions(shard_index=index, shard_count=3, drop_remainder=True)
        per_host.append([i for b in latent_dataset(out, batch_size=1, seed=0, num_epochs=1, shard_options=opts)
                         for i in b["item_id"]])
    assert [len(h) for h in per_host] == [4, 4, 4]         # 12 images / 3; the lone clip cannot split
    assert not set(per_host[0]) & set(per_host[1]) and not set(per_host[1]) & set(per_host[2])


def test_sampling_and_normalisation_on_host_and_device(encoded_shards):
    import jax
    from model.data import device_latents
    out = encoded_shards["out"]
    info = LatentShardsInfo.read(out)
    source = LatentShardSource(out)
    raw = next(iter(latent_dataset(out, batch_size=12, seed=1, num_epochs=1)))
    means = np.stack([source[int(i)]["latent"][0] for i in raw["index"]])
    logvar = np.stack([source[int(i)]["latent_logvar"][0] for i in raw["index"]]).astype(np.float32)
    np.testing.assert_array_equal(raw["latent"], means)
    mu, sd = np.asarray(info.metadata.latent_channel_mean), np.asarray(info.metadata.latent_channel_std)
    want = (means.astype(np.float32) - mu) / sd
    normed = next(iter(latent_dataset(out, batch_size=12, seed=1, num_epochs=1, normalize=True)))
    np.testing.assert_allclose(normed["latent"], want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(device_latents(raw, None, info.metadata)), want, rtol=1e-5, atol=1e-5)
    host = next(iter(latent_dataset(out, batch_size=12, seed=1, num_epochs=1, sample_posterior=True)))
    device = np.asarray(device_latents(raw, jax.random.key(0), info.metadata))
    for z in ((host["latent"] - means) / np.exp(0.5 * logvar),        # host: un-normalised sample
              (device - want) * sd / np.exp(0.5 * logvar)):            # device: normalised sample
        assert abs(z.mean()) < 0.2 and 0.8 < z.std() < 1.2            # eps ~ N(0, 1): 768 draws


def test_worker_processes(encoded_shards):
    """worker_count > 0 spawns Grain workers (flags marked parsed); same batches as in-process."""
    script = (
        "from model.data import latent_dataset\n"
        "if __name__ == '__main__':\n"
        f"    ds = latent_dataset({encoded_shards['out']!r}, batch_size=2, seed=4, num_epochs=1, worker_count=1)\n"
        "    print([b['item_id'].tolist() for b in ds])\n")
    path = os.path.join(encoded_shards["root"], "workers.py")
    with open(path, "w") as f:
        f.write(script)
    done = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 0, done.stderr[-3000:]
    import ast
    got = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    want = [b["item_id"].tolist() for b in latent_dataset(encoded_shards["out"], batch_size=2, seed=4, num_epochs=1)]
    assert got == want


def test_missing_bucket_file_and_too_big_batch_are_clear_errors(encoded_shards, tmp_path):
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(encoded_shards["out"], copy)
    with pytest.raises(ValueError, match="no bucket holds a full batch"):
        latent_dataset(str(copy), batch_size=64)
    os.remove(copy / "buckets.json")
    with pytest.raises(FileNotFoundError):
        LatentShardsInfo.read(str(copy))
