"""The DiT: patch layout, adaLN-Zero start, conditioning and its null token."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from model.networks import DiT
from model.networks.patches import patchify, sincos_position_embedding, unpatchify

TINY = dict(hidden_size=32, depth=2, num_heads=2)


def _perturb(model, seed=0):
    """adaLN-Zero starts every output at 0; random weights everywhere make the conditioning visible."""
    graphdef, state = nnx.split(model)
    leaves, tree = jax.tree.flatten(state)
    keys = jax.random.split(jax.random.key(seed), len(leaves))
    leaves = [l + 0.1 * jax.random.normal(k, l.shape) for l, k in zip(leaves, keys)]
    return nnx.merge(graphdef, jax.tree.unflatten(tree, leaves))


def test_patchify_round_trips_space_time_patches():
    x = jax.random.normal(jax.random.key(0), (2, 4, 6, 8, 3))
    tokens = patchify(x, 2, 2)
    assert tokens.shape == (2, 2 * 3 * 4, 2 * 2 * 2 * 3)
    np.testing.assert_array_equal(unpatchify(tokens, (2, 3, 4), 2, 2, 3), x)
    # one token holds one contiguous 2x2x2 block
    np.testing.assert_array_equal(tokens[0, 0].reshape(2, 2, 2, 3), x[0, :2, :2, :2])


def test_positions_are_distinct_and_one_frame_clip_matches_image_table():
    table = sincos_position_embedding(32, (1, 4, 4))
    assert len({tuple(np.round(r, 5)) for r in table}) == 16
    clip = sincos_position_embedding(32, (3, 4, 4))
    assert clip.shape == (48, 32) and not np.allclose(clip[:16], clip[16:32])


def test_starts_as_zero_and_keeps_shapes_for_images_and_clips():
    image = DiT((8, 8, 4), num_classes=10, rngs=nnx.Rngs(0), **TINY)
    out = image(jnp.ones((3, 8, 8, 4)), jnp.array([0.1, 0.5, 0.9]), label=jnp.array([1, 2, 3]))
    assert out.shape == (3, 8, 8, 4) and float(jnp.abs(out).max()) == 0.0
    clip = DiT((4, 8, 8, 4), patch_frames=2, embedding_dim=16, rngs=nnx.Rngs(0), **TINY)
    assert clip(jnp.ones((2, 4, 8, 8, 4)), jnp.array([0.1, 0.5]), embedding=jnp.ones((2, 16))).shape == \
        (2, 4, 8, 8, 4)


def test_label_changes_the_output_and_drop_uses_the_null_class():
    model = _perturb(DiT((4, 4, 1), patch_size=1, num_classes=3, rngs=nnx.Rngs(0), **TINY))
    x, t = jnp.ones((3, 4, 4, 1)), jnp.full((3,), 0.5)
    by_label = model(x, t, label=jnp.array([0, 1, 2]))
    assert float(jnp.abs(by_label[0] - by_label[1]).max()) > 1e-3
    dropped = model(x, t, label=jnp.array([0, 1, 2]), drop=jnp.array([True, True, False]))
    np.testing.assert_allclose(dropped[0], dropped[1], atol=1e-6)     # the label no longer matters
    np.testing.assert_allclose(dropped[0], model(x, t, label=jnp.array([3, 3, 3]))[0], atol=1e-6)
    np.testing.assert_allclose(dropped[2], by_label[2], atol=1e-6)


def test_embedding_condition_and_its_learned_null():
    model = _perturb(DiT((4, 4, 1), patch_size=1, embedding_dim=8, rngs=nnx.Rngs(0), **TINY))
    x, t = jnp.ones((2, 4, 4, 1)), jnp.full((2,), 0.5)
    emb = jax.random.normal(jax.random.key(1), (2, 8))
    out = model(x, t, embedding=emb)
    assert float(jnp.abs(out[0] - out[1]).max()) > 1e-3
    dropped = model(x, t, embedding=emb, drop=jnp.array([True, True]))
    np.testing.assert_allclose(dropped[0], dropped[1], atol=1e-6)


def test_bad_shapes_and_missing_conditions_are_clear_errors():
    with pytest.raises(ValueError, match="does not divide"):
        DiT((7, 8, 4), rngs=nnx.Rngs(0), **TINY)
    with pytest.raises(ValueError, match="not both"):
        DiT((8, 8, 4), num_classes=2, embedding_dim=4, rngs=nnx.Rngs(0), **TINY)
    with pytest.raises(ValueError, match="pass label"):
        DiT((8, 8, 4), num_classes=2, rngs=nnx.Rngs(0), **TINY)(jnp.ones((1, 8, 8, 4)), jnp.ones((1,)))
