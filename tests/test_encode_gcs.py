"""gs:// through a local GCS emulator (gcp-storage-emulator): shards written locally and uploaded with Beam's
FileSystems, `shards verify` reading them back, byte-identical to a local encode; and a gs:// autoencoder checkpoint
fetched by the job's worker."""
import json
import os
import subprocess
import sys

from tests.gcs_emulator import create_bucket, upload_tree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _encode_in_subprocess(encoded_shards, env: dict, checkpoint: str, output: str, then: str = "") -> dict:
    """run_encode in a fresh process pointed at the emulator; `then` runs after it and adds keys to `result`
    (printed as the last line, JSON)."""
    script = (
        "import json\n"
        "from pipelines.encode.job import run_encode\n"
        "from tests.encode_fixtures import small_encode_config, LOADER\n"
        # no credentials offline: Beam would retry the look-up with backoff for ~20 s; use its anonymous client
        "from apache_beam.internal.gcp import auth\n"
        "auth._Credentials._credentials_init, auth._Credentials._credentials = True, None\n"
        f"report = run_encode({encoded_shards['approved']!r}, {checkpoint!r}, {output!r},\n"
        f"    small_encode_config(), runs=[{encoded_shards['run']!r}],\n"
        "    beam_args=['--direct_running_mode=in_memory', '--project=test'], loader=LOADER)\n"
        "result = {'report': report}\n"
        + then +
        "print(json.dumps(result))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_encode_to_gcs_uploads_verifies_and_matches_local(encoded_shards, gcs_emulator):
    create_bucket(gcs_emulator, "lat")
    result = _encode_in_subprocess(encoded_shards, gcs_emulator, encoded_shards["ckpt"], "gs://lat/shards", then=(
        "from google.auth.credentials import AnonymousCredentials\n"
        "from google.cloud import storage\n"
        "from pipelines.encode.verify import verify_shards\n"
        "result['problems'], result['facts'] = verify_shards('gs://lat/shards')\n"
        "client = storage.Client(project='test', credentials=AnonymousCredentials())\n"
        "result['blobs'] = {b.name[len('shards/'):]: b.download_as_bytes().hex() for b in client.list_blobs('lat')}\n"))
    assert result["report"]["reconciled"] and result["report"]["examples"] == 13
    assert result["problems"] == [] and result["facts"]["records_decoded"] == 13
    local = {}
    for dirpath, _, names in os.walk(encoded_shards["out"]):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                local[os.path.relpath(path, encoded_shards["out"])] = f.read().hex()
    assert sorted(result["blobs"]) == sorted(local)
    assert result["blobs"] == local


def test_encode_reads_a_gcs_checkpoint_on_the_worker(encoded_shards, gcs_emulator, tmp_path):
    """`--autoencoder gs://…`: the worker fetches the checkpoint itself (a launcher's local copy would not exist on
    Dataflow); the latents are the same bytes as with the local checkpoint, and the metadata's sha256 too."""
    out = str(tmp_path / "shards")
    create_bucket(gcs_emulator, "weights")
    assert upload_tree(gcs_emulator, encoded_shards["ckpt"], "gs://weights/ae") > 0
    report = _encode_in_subprocess(encoded_shards, gcs_emulator, "gs://weights/ae", out)["report"]
    assert report["reconciled"] and report["examples"] == 13

    def shard_bytes(root):
        return {n: open(os.path.join(root, n), "rb").read() for n in os.listdir(root) if ".array_record-" in n}

    remote, local = shard_bytes(out), shard_bytes(encoded_shards["out"])
    assert remote and remote == local
    meta = [json.load(open(os.path.join(root, "metadata.json"))) for root in (out, encoded_shards["out"])]
    assert meta[0]["autoencoder"]["checkpoint"] == "gs://weights/ae"
    assert meta[0]["autoencoder"]["sha256"] == meta[1]["autoencoder"]["sha256"]
