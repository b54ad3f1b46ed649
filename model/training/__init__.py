"""Training: `train(cfg, TrainingSet, workdir)` (trainer.py) and loading a trained model back (run_dir.py)."""
