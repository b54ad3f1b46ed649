"""PatchGAN discriminator (pix2pix / taming-transformers' NLayerDiscriminator), GroupNorm instead of BatchNorm so
no batch statistics have to be carried through jit and checkpoints. Outputs one logit per patch."""
from __future__ import annotations

import jax
from flax import nnx

from model.autoencoder.build import host_initialized


class PatchDiscriminator(nnx.Module):
    def __init__(self, channels: int = 64, layers: int = 3, *, rngs: nnx.Rngs):
        convs, norms, cin = [], [], 3
        for i in range(layers):
            cout = channels * min(2 ** i, 8)
            convs.append(nnx.Conv(cin, cout, (4, 4), strides=2, padding=1, rngs=rngs))
            norms.append(nnx.GroupNorm(cout, num_groups=min(32, cout // 4), rngs=rngs) if i > 0 else None)
            cin = cout
        self.convs = nnx.List(convs)
        self.norms = nnx.List([n for n in norms if n is not None])
        self.head = nnx.Conv(cin, 1, (4, 4), padding=1, rngs=rngs)

    def __call__(self, x):
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i > 0:
                x = self.norms[i - 1](x)
            x = jax.nn.leaky_relu(x, 0.2)
        return self.head(x)


def build_discriminator(channels: int, layers: int, seed: int) -> PatchDiscriminator:
    abstract = nnx.eval_shape(lambda: PatchDiscriminator(channels, layers, rngs=nnx.Rngs(0)))
    return host_initialized(abstract, seed)
