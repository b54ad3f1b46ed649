"""Dataflow readiness checked offline: the full job description for `framesift curate` (not only --dry_run), built
with staging stubbed, and the worker container in deploy/dataflow/Dockerfile."""
import io
import json
import os
import re
import tarfile

import apache_beam as beam
import pytest
from apache_beam.portability.api import beam_runner_api_pb2

from framesift.config import config_hash, load_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKERFILE = os.path.join(ROOT, "deploy", "dataflow", "Dockerfile")
IMAGE = "us-central1-docker.pkg.dev/fake-project/framesift/curate:test"


@pytest.fixture
def offline_gcp(monkeypatch):
    # no metadata-server probing (it retries for ~20 s offline); port 9 on loopback is closed
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")


def _job_description(extra_args):
    """What `framesift curate --runner DataflowRunner ...` would submit: the runner builds the job (dry run stops
    before any API call), then the Dataflow client builds its description with every upload recorded, not sent."""
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.dataflow.internal import apiclient
    from pipelines.curate.job import pipeline_options
    from pipelines.curate.pipeline import build_curate_pipeline

    cfg = load_config("curate")
    options = pipeline_options(["--runner=DataflowRunner", "--project=fake-project", "--region=us-central1",
                                "--temp_location=gs://fake-bucket/tmp", "--dry_run=True", "--no_auth",
                                "--sdk_location=container",
                                *extra_args])
    assert isinstance(options, PipelineOptions)
    p = beam.Pipeline(options=options)
    build_curate_pipeline(p, cfg, "gs://fake-bucket/runs/r1", config_hash(cfg), ["gs://fake-bucket/raw/**"], [],
                          [])
    job = p.run().job
    client = apiclient.DataflowApplicationClient(options, job.root_staging_location)
    staged = {}

    def record_upload(folder, name, stream_or_path, total_size=None):
        data = stream_or_path.read() if isinstance(stream_or_path, io.IOBase) else open(stream_or_path, "rb").read()
        staged[name] = data

    client.stage_file_with_retry = record_upload
    client.create_job_description(job)
    return job, staged


def test_full_job_description_builds_offline(offline_gcp):
    # one build (the graph is ~650 transforms: most of this test's time) with both ways of getting framesift onto
    # workers: the container (dependencies baked in) and --setup_file (framesift's own sdist, staged)
    job, staged = _job_description([
        f"--sdk_container_image={IMAGE}", f"--setup_file={os.path.join(ROOT, 'setup.py')}",
        "--machine_type=n1-standard-4", "--max_num_workers=50", "--disk_size_gb=50", "--label=app=framesift"])
    desc = json.loads(job.json())
    env = desc["environment"]
    (pool,) = env["workerPools"]
    assert pool["machineType"] == "n1-standard-4"
    assert pool["diskSizeGb"] == 50
    assert pool["autoscalingSettings"]["maxNumWorkers"] == 50
    images = {c["containerImage"] for c in pool["sdkHarnessContainerImages"]}
    assert images == {IMAGE}, images                       # the framesift image, not Beam's stock one
    assert desc["labels"] == {"app": "framesift"}
    assert desc["type"] == "JOB_TYPE_BATCH"
    assert env["tempStoragePrefix"].startswith("storage.googleapis.com/fake-bucket/tmp")
    # the staged pipeline is the one the workers run: every labelled stage is in it
    pipeline = beam_runner_api_pb2.Pipeline.FromString(staged["pipeline.pb"])
    names = {t.unique_name for t in pipeline.components.transforms.values()}
    for step in ("Ingest/Match", "CurateImages/Analyze", "CurateVideos/Split", "CurateVideos/Analyze",
                 "Write/Manifest", "Write/DeadLetters"):
        assert any(n.startswith(step) for n in names), step
    # --setup_file: framesift's sdist is built, uploaded, and named in the workers' environment
    (sdist,) = [n for n in staged if n.endswith(".tar.gz")]
    with tarfile.open(fileobj=io.BytesIO(staged[sdist])) as tar:
        assert any(m.name.endswith("pipelines/curate/pipeline.py") for m in tar.getmembers())
    deps = [d for e in pipeline.components.environments.values() for d in e.dependencies]
    assert any(sdist.encode() in d.type_payload for d in deps)


def _dockerfile():
    with open(DOCKERFILE) as f:
        return f.read()


def test_dockerfile_base_image_matches_installed_beam_and_python():
    import sys
    base = re.search(r"^FROM\s+(\S+)", _dockerfile(), re.M).group(1)
    assert base == f"apache/beam_python{sys.version_info[0]}.{sys.version_info[1]}_sdk:{beam.__version__}", base


def test_dockerfile_installs_framesift_with_pinned_media_and_model_dependencies():
    text = _dockerfile()
    pip_lines = [" ".join(m.split()) for m in re.findall(r"pip install((?:[^\n]*\\\n)*[^\n]*)", text)]
    framesift = [line for line in pip_lines if "-c constraints.txt" in line and "." in line]
    assert framesift, pip_lines
    extras = re.search(r"\.\[([\w,-]+)\]", framesift[0]).group(1).split(",")
    assert {"gcp", "scoring"} <= set(extras), extras     # gs:// I/O, and torch/open_clip baked into the image
    # pinned Beam is the base image's: the constraints file must agree, or pip would replace it
    with open(os.path.join(ROOT, "constraints.txt")) as f:
        assert f"apache-beam=={beam.__version__}" in f.read()
