"""framesift: curate raw images and videos into latent-encoded training shards."""
__version__ = "0.1.0"
