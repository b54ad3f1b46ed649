"""Training and fine-tuning autoencoders on an approved set: `train(cfg, approved.parquet, workdir, read_frame)`."""
