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
