import os

import pytest

# Credential look-ups for gs:// and Dataflow code paths must fail fast offline.
os.environ.setdefault("NO_GCE_CHECK", "True")
os.environ.setdefault("GCE_METADATA_HOST", "127.0.0.1:9")


@pytest.fixture(scope="session")
def demo_corpus(tmp_path_factory):
    """The bundled demo corpus, built once per test session."""
    from framesift.demo_data import build_demo_corpus
    out = tmp_path_factory.mktemp("demo") / "data"
    build_demo_corpus(str(out))
    return out


@pytest.fixture(scope="session")
def demo_run(demo_corpus, tmp_path_factory):
    """The curate job over the demo corpus (in-process runner: the suite already uses both cores)."""
    from pipelines.curate.job import run_curate
    from tests.scoring_fixtures import fast_curate_config
    cfg = fast_curate_config(tmp_path_factory.mktemp("clip_configs"))
    cfg.ingest.sidecars = [str(demo_corpus / "sidecar.csv")]
    out = tmp_path_factory.mktemp("demo_run") / "run"
    report = run_curate(cfg, [str(demo_corpus / "media")], str(out), beam_args=["--direct_running_mode=in_memory"])
    return out, report


@pytest.fixture(scope="session")
def encoded_shards(tmp_path_factory):
    """A small approved set encoded into latent shards with the stand-in autoencoder (tests/encode_fixtures.py)."""
    import os
    from pipelines.encode.job import run_encode
    from tests.encode_fixtures import build_approved, build_checkpoint, small_encode_config
    from tests.encode_fixtures import LOADER
    root = str(tmp_path_factory.mktemp("encode"))
    data = build_approved(root)
    ckpt = build_checkpoint(root)
    out = os.path.join(root, "shards")
    report = run_encode(data["approved"], ckpt, out, small_encode_config(), runs=[data["run"]],
                        beam_args=["--direct_running_mode=in_memory"], loader=LOADER)
    return {**data, "ckpt": ckpt, "out": out, "report": report, "root": root}


@pytest.fixture(scope="session")
def gcs_emulator():
    """A local GCS emulator for the session (tests/gcs_emulator.py): the environment that points clients at it."""
    from tests.gcs_emulator import running_emulator
    with running_emulator() as env:
        yield env


def pytest_collection_modifyitems(config, items):
    """pytest.ini's `slow` marker: such tests run only with FRAMESIFT_SLOW=1."""
    if os.environ.get("FRAMESIFT_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set FRAMESIFT_SLOW=1 to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
