"""framesift/run_files.py and the UI's media roots against the session's GCS emulator: listing, the local cache
(one copy per URI, refreshed when the bucket's file changes), refusals for missing, oversized and escaping paths."""
import os

import pytest

from curation_ui.media import MediaPathError, MediaRoots, resolve_under
from framesift import run_files
from tests.gcs_emulator import create_bucket


@pytest.fixture(scope="module")
def bucket(gcs_emulator, tmp_path_factory):
    create_bucket(gcs_emulator, "run-files")
    return "gs://run-files"


@pytest.fixture
def env(gcs_emulator, monkeypatch, tmp_path):
    for key, value in gcs_emulator.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FRAMESIFT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_listing_reading_and_the_cache(bucket, env):
    run = f"{bucket}/runs/a"
    run_files.write_bytes(f"{run}/manifest/part-1.parquet", b"one")
    run_files.write_bytes(f"{run}/manifest/part-0.parquet", b"zero!")
    run_files.write_bytes(f"{run}/manifest/notes.txt", b"x")
    stamps = run_files.list_stamps(f"{run}/manifest", ".parquet")
    assert list(stamps) == [f"{run}/manifest/part-0.parquet", f"{run}/manifest/part-1.parquet"]
    assert [size for size, _ in stamps.values()] == [5, 3]
    assert run_files.is_dir(run) and not run_files.exists(f"{run}/nothing")
    with pytest.raises(FileNotFoundError):
        run_files.list_files(f"{run}/nothing")

    local = run_files.local_copy(f"{run}/manifest/part-0.parquet")
    assert local.startswith(str(env / "cache")) and open(local, "rb").read() == b"zero!"
    with pytest.raises(FileNotFoundError):
        run_files.local_copy(f"{run}/manifest/missing.parquet")
    with pytest.raises(ValueError, match="larger than"):
        run_files.local_copy(f"{run}/manifest/part-1.parquet", max_bytes=2)
    assert not os.path.exists(run_files.cache_path(f"{run}/manifest/part-1.parquet"))   # no half file left


def test_local_tree_fetches_what_changed(bucket, env):
    tree = f"{bucket}/tree"
    run_files.write_bytes(f"{tree}/a.txt", b"a1")
    run_files.write_bytes(f"{tree}/sub/b.txt", b"b1")
    local = run_files.local_tree(tree)
    assert open(os.path.join(local, "sub", "b.txt"), "rb").read() == b"b1"
    run_files.write_bytes(f"{tree}/sub/b.txt", b"b2 changed")
    assert run_files.local_tree(tree) == local
    assert open(os.path.join(local, "sub", "b.txt"), "rb").read() == b"b2 changed"
    with pytest.raises(FileNotFoundError):
        run_files.local_tree(f"{bucket}/no-such-tree")


@pytest.mark.parametrize("path", ["../other/x.jpg", "previews/../../other/x.jpg", "/etc/passwd",
                                  "gs://other-bucket/runs/a/x.jpg", "gs://run-files/runs/ab/x.jpg",
                                  "file:///etc/passwd"])
def test_bucket_media_paths_that_escape_the_run_are_refused(path):
    with pytest.raises(MediaPathError):
        resolve_under("gs://run-files/runs/a", path)


def test_originals_only_from_the_run_and_named_bucket_roots(bucket, env):
    run_files.write_bytes(f"{bucket}/raw/p.jpg", b"\xff\xd8jpeg")
    run_files.write_bytes(f"{bucket}/runs/b/previews/00/t.jpg", b"thumb")
    assert MediaRoots(f"{bucket}/runs/b").run_file("previews/00/t.jpg") == b"thumb"
    assert MediaRoots(f"{bucket}/runs/b").run_file("previews/00/missing.jpg") is None
    with pytest.raises(MediaPathError, match="--media-root"):
        MediaRoots(f"{bucket}/runs/b").original_path(f"{bucket}/raw/p.jpg")
    roots = MediaRoots(f"{bucket}/runs/b", (f"{bucket}/raw",))
    assert open(roots.original_path(f"{bucket}/raw/p.jpg"), "rb").read() == b"\xff\xd8jpeg"
    with pytest.raises(MediaPathError, match="not there"):
        roots.original_path(f"{bucket}/raw/gone.jpg")
