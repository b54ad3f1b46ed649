import subprocess
import sys

import pytest

from framesift.config import ConfigError, JOBS, config_hash, config_to_yaml, load_config, from_dict


@pytest.mark.parametrize("job", sorted(JOBS))
def test_every_job_has_a_config_file_that_loads(job):
    cfg = load_config(job)
    assert isinstance(cfg, JOBS[job])


def test_curate_file_matches_typed_defaults_except_filters():
    cfg = load_config("curate")
    assert cfg.filters["sharpness"]["min"] == 0.06
    assert cfg.shots.max_clip_s == 10.0


def test_override_sets_nested_value_and_parses_yaml_types():
    cfg = load_config("curate", overrides=["filters.sharpness.min=80", "shots.threshold=12",
                                           "ingest.video_extensions=[mp4]"])
    assert cfg.filters["sharpness"]["min"] == 80
    assert cfg.shots.threshold == 12.0 and isinstance(cfg.shots.threshold, float)
    assert cfg.ingest.video_extensions == ["mp4"]


def test_misspelled_key_names_the_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("shots:\n  treshold: 3\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'shots.treshold'"):
        load_config("curate", str(path))


def test_wrong_type_names_key_and_expected_type():
    with pytest.raises(ConfigError, match=r"shots.threshold: expected float, got str 'high'"):
        load_config("curate", overrides=["shots.threshold=high"])
    with pytest.raises(ConfigError, match=r"port: expected int"):
        load_config("review", overrides=["port=1.5"])
    with pytest.raises(ConfigError, match=r"latent_dtype: expected one of"):
        load_config("encode", overrides=["latent_dtype=int8"])


def test_bool_is_not_an_int():
    with pytest.raises(ConfigError, match="page_size: expected int"):
        load_config("review", overrides=["page_size=true"])


def test_malformed_override():
    with pytest.raises(ConfigError, match="must look like"):
        load_config("curate", overrides=["shots.threshold"])


def test_hash_is_stable_and_changes_with_values():
    a, b = load_config("curate"), load_config("curate")
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash(load_config("curate", overrides=["shots.threshold=31"]))


def test_resolved_yaml_round_trips():
    import yaml
    cfg = load_config("diffusion", overrides=["arch.depth=2"])
    again = from_dict(JOBS["diffusion"], yaml.safe_load(config_to_yaml(cfg)))
    assert again == cfg


def test_unknown_filter_and_bad_filter_param_name_the_key():
    from pipelines.filters import build_filters
    with pytest.raises(ConfigError, match="filters.sharpnes"):
        build_filters({"sharpnes": {"min": 1}})
    with pytest.raises(ConfigError, match="unknown config key 'filters.sharpness.mn'"):
        build_filters({"sharpness": {"mn": 1}})


def test_cli_misspelled_key_exits_nonzero_with_one_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("filters:\n  exposure: {min_maen: 0.1}\n")
    proc = subprocess.run([sys.executable, "-m", "framesift.cli", "config", "curate", "--config", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    # `config curate` validates filter params too, through the filter registry
    assert "filters.exposure.min_maen" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_out_of_range_values_name_the_key():
    with pytest.raises(ConfigError, match=r"shots.max_clip_s: must be > 0, got 0.0"):
        load_config("curate", overrides=["shots.max_clip_s=0"])
    with pytest.raises(ConfigError, match=r"scoring.batch_size: must be >= 1"):
        load_config("curate", overrides=["scoring.batch_size=0"])


def test_optional_list_error_names_the_element():
    from dataclasses import dataclass
    from typing import Optional

    @dataclass
    class C:
        xs: Optional[list[int]] = None
    with pytest.raises(ConfigError, match=r"xs\[1\]: expected int"):
        from_dict(C, {"xs": [1, "a"]})


def test_exponent_floats_without_a_dot_are_floats():
    cfg = load_config("curate", overrides=["shots.threshold=1e-3"])
    assert cfg.shots.threshold == 0.001


@pytest.mark.parametrize("job", ["autoencoder", "diffusion"])
def test_both_trainers_share_one_schedule_with_their_own_defaults(job):
    """One TrainSchedule (framesift/config/schedule.py) under both trainers' `train:` sections: the keys users
    write in configs/*.yaml keep their meaning and their shipped values are each trainer's defaults."""
    import yaml
    from framesift.config.schedule import TrainSchedule
    cfg = load_config(job)
    assert isinstance(cfg.train, TrainSchedule)
    import os
    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", f"{job}.yaml")) as f:
        written = yaml.safe_load(f)["train"]
    default = type(cfg.train)()
    assert {key: getattr(default, key) for key in written} == written
    with pytest.raises(ConfigError, match="train.keep_checkpoints"):
        load_config(job, overrides=["train.keep_checkpoints=0"])


def test_trainer_schedules_differ_only_in_defaults_and_their_own_keys():
    from dataclasses import fields
    from framesift.config.schedule import TrainSchedule
    ae, dit = load_config("autoencoder").train, load_config("diffusion").train
    shared = {f.name for f in fields(TrainSchedule)}
    assert (ae.steps, ae.log_every, ae.checkpoint_every) == (2000, 25, 250)     # the autoencoder's own defaults
    assert (dit.steps, dit.log_every, dit.checkpoint_every) == (1000, 50, 500)
    assert {f.name for f in fields(ae)} - shared == {"eval_every"}
    assert {"ema_decay", "decay", "data_threads"} <= {f.name for f in fields(dit)} - shared
