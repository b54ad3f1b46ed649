"""Diffusion transformer (Peebles & Xie 2023) over latent patches, as a Flax NNX module.

Images (B, H, W, C) and clips (B, T, H, W, C) are cut into space-time patches (patch_frames x patch_size^2) and
attended to with full bidirectional attention. Each block is conditioned by adaLN-Zero: shift, scale and a gate per
sub-layer are regressed from c = time embedding + condition embedding, and the regressors start at zero, so every
block starts as the identity and the untrained network predicts 0.

The condition is a class label (num_classes > 0) or an embedding vector (embedding_dim > 0, e.g. a caption or picture
embedding), or nothing. `drop` marks examples whose condition is replaced by the learned null condition: the class
index `num_classes` or a learned null vector. Training drops at random (classifier-free guidance); samplers pass
drop=True for the unconditional half.
"""
from __future__ import annotations

from typing import Optional

import jax
import jax.numpy as jnp
from flax import nnx

from model.networks.patches import patchify, sincos_position_embedding, timestep_features, unpatchify

_xavier = nnx.initializers.xavier_uniform()
_zeros = nnx.initializers.zeros_init()
_small = nnx.initializers.normal(0.02)


def _modulate(x, shift, scale):
    return x * (1 + scale[:, None]) + shift[:, None]


class Attention(nnx.Module):
    def __init__(self, hidden: int, heads: int, *, dtype, rngs: nnx.Rngs):
        if hidden % heads:
            raise ValueError(f"hidden size {hidden} is not divisible by {heads} heads")
        self.heads = heads
        self.qkv = nnx.Linear(hidden, 3 * hidden, kernel_init=_xavier, dtype=dtype, rngs=rngs)
        self.out = nnx.Linear(hidden, hidden, kernel_init=_xavier, dtype=dtype, rngs=rngs)

    def __call__(self, x):
        b, n, d = x.shape
        q, k, v = jnp.split(self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads), 3, axis=2)
        y = jax.nn.dot_product_attention(q[:, :, 0], k[:, :, 0], v[:, :, 0])
        return self.out(y.reshape(b, n, d))


class Mlp(nnx.Module):
    def __init__(self, hidden: int, inner: int, *, dtype, rngs: nnx.Rngs):
        self.fc1 = nnx.Linear(hidden, inner, kernel_init=_xavier, dtype=dtype, rngs=rngs)
        self.fc2 = nnx.Linear(inner, hidden, kernel_init=_xavier, dtype=dtype, rngs=rngs)

    def __call__(self, x):
        return self.fc2(jax.nn.gelu(self.fc1(x), approximate=True))


class DiTBlock(nnx.Module):
    def __init__(self, hidden: int, heads: int, mlp_ratio: float, *, dtype, rngs: nnx.Rngs):
        norm = dict(use_bias=False, use_scale=False, epsilon=1e-6, dtype=dtype, rngs=rngs)
        self.norm1 = nnx.LayerNorm(hidden, **norm)
        self.attn = Attention(hidden, heads, dtype=dtype, rngs=rngs)
        self.norm2 = nnx.LayerNorm(hidden, **norm)
        self.mlp = Mlp(hidden, int(hidden * mlp_ratio), dtype=dtype, rngs=rngs)
        self.ada = nnx.Linear(hidden, 6 * hidden, kernel_init=_zeros, dtype=dtype, rngs=rngs)

    def __call__(self, x, c):
        sh1, sc1, g1, sh2, sc2, g2 = jnp.split(self.ada(jax.nn.silu(c)), 6, axis=-1)
        x = x + g1[:, None] * self.attn(_modulate(self.norm1(x), sh1, sc1))
        return x + g2[:, None] * self.mlp(_modulate(self.norm2(x), sh2, sc2))


class FinalLayer(nnx.Module):
    def __init__(self, hidden: int, out: int, *, dtype, rngs: nnx.Rngs):
        self.norm = nnx.LayerNorm(hidden, use_bias=False, use_scale=False, epsilon=1e-6, dtype=dtype, rngs=rngs)
        self.ada = nnx.Linear(hidden, 2 * hidden, kernel_init=_zeros, dtype=dtype, rngs=rngs)
        self.linear = nnx.Linear(hidden, out, kernel_init=_zeros, dtype=dtype, rngs=rngs)

    def __call__(self, x, c):
        shift, scale = jnp.split(self.ada(jax.nn.silu(c)), 2, axis=-1)
        return self.linear(_modulate(self.norm(x), shift, scale))


class DiT(nnx.Module):
    def __init__(self, latent_shape: tuple[int, ...], *, patch_size: int = 2, patch_frames: int = 1,
                 hidden_size: int = 384, depth: int = 12, num_heads: int = 6, mlp_ratio: float = 4.0,
                 num_classes: int = 0, embedding_dim: int = 0, dtype=jnp.float32, rngs: nnx.Rngs):
        """latent_shape: one example's latent, (H, W, C) for images or (T, H, W, C) for clips."""
        if len(latent_shape) not in (3, 4):
            raise ValueError(f"latent shape must be (H, W, C) or (T, H, W, C), got {tuple(latent_shape)}")
        if num_classes and embedding_dim:
            raise ValueError("condition on a class label or on an embedding, not both")
        self.is_clip = len(latent_shape) == 4
        t, h, w, c = (tuple(latent_shape) if self.is_clip else (1, *latent_shape))
        pt = patch_frames if self.is_clip else 1
        if h % patch_size or w % patch_size or t % pt:
            raise ValueError(f"latent {tuple(latent_shape)} does not divide into {pt}x{patch_size}x{patch_size} "
                             "patches")
        self.latent_shape = tuple(latent_shape)
        self.patch_size, self.patch_frames, self.channels = patch_size, pt, c
        self.grid = (t // pt, h // patch_size, w // patch_size)
        self.num_classes, self.embedding_dim = num_classes, embedding_dim
        patch_dim = pt * patch_size * patch_size * c

        self.patch_embed = nnx.Linear(patch_dim, hidden_size, kernel_init=_xavier, dtype=dtype, rngs=rngs)
        self.pos_embed = nnx.Variable(jnp.asarray(sincos_position_embedding(hidden_size, self.grid)))
        self.t_mlp1 = nnx.Linear(256, hidden_size, kernel_init=_small, dtype=dtype, rngs=rngs)
        self.t_mlp2 = nnx.Linear(hidden_size, hidden_size, kernel_init=_small, dtype=dtype, rngs=rngs)
        if num_classes:
            # one extra row: the null class used for classifier-free guidance
            self.label_embed = nnx.Embed(num_classes + 1, hidden_size, embedding_init=_small, rngs=rngs)
        if embedding_dim:
            self.cond_proj = nnx.Linear(embedding_dim, hidden_size, kernel_init=_xavier, dtype=dtype, rngs=rngs)
            self.null_embedding = nnx.Param(_small(rngs.params(), (embedding_dim,)))
        self.blocks = nnx.List([DiTBlock(hidden_size, num_heads, mlp_ratio, dtype=dtype, rngs=rngs)
                                for _ in range(depth)])
        self.final = FinalLayer(hidden_size, patch_dim, dtype=dtype, rngs=rngs)

    @property
    def conditional(self) -> bool:
        return bool(self.num_classes or self.embedding_dim)

    def condition(self, label: Optional[jax.Array], embedding: Optional[jax.Array],
                  drop: Optional[jax.Array], batch: int) -> Optional[jax.Array]:
        drop = jnp.zeros((batch,), bool) if drop is None else drop
        if self.num_classes:
            if label is None:
                raise ValueError("this DiT is class-conditional: pass label")
            label = label.astype(jnp.int32)   # -1 (no label) also means the null class
            return self.label_embed(jnp.where(drop | (label < 0), self.num_classes, label))
        if self.embedding_dim:
            if embedding is None:
                raise ValueError("this DiT is embedding-conditional: pass embedding")
            emb = jnp.where(drop[:, None], self.null_embedding[...][None], embedding.astype(jnp.float32))
            return self.cond_proj(emb)
        return None

    def __call__(self, x: jax.Array, t: jax.Array, label: Optional[jax.Array] = None,
                 embedding: Optional[jax.Array] = None, drop: Optional[jax.Array] = None) -> jax.Array:
        """Velocity for latents x (B, *latent_shape) at times t (B,)."""
        clip = x if self.is_clip else x[:, None]
        tokens = self.patch_embed(patchify(clip, self.patch_size, self.patch_frames)) + self.pos_embed[...]
        c = self.t_mlp2(jax.nn.silu(self.t_mlp1(timestep_features(t, 256))))
        cond = self.condition(label, embedding, drop, x.shape[0])
        if cond is not None:
            c = c + cond
        for block in self.blocks:
            tokens = block(tokens, c)
        out = unpatchify(self.final(tokens, c), self.grid, self.patch_size, self.patch_frames, self.channels)
        out = out.astype(x.dtype)
        return out if self.is_clip else out[:, 0]
