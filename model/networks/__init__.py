"""Networks (Flax NNX modules), apart from the objectives that train them (model/interfaces)."""
from model.networks.dit import DiT

__all__ = ["DiT"]
