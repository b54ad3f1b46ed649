"""Media are served only from under the run root (or a named --media-root); manifest paths that escape are refused."""
import io
import os

import pytest
from PIL import Image

from curation_ui.media import MediaPathError, MediaRoots, gif_from_webp, read_under, resolve_under
from tests.ui_fixtures import make_run


@pytest.fixture
def run(tmp_path):
    return make_run(tmp_path / "run", n_images=4, media_dir=str(tmp_path / "media"))


@pytest.mark.parametrize("path", ["../outside.jpg", "previews/../../outside.jpg", "/etc/passwd",
                                  "previews/%2e%2e/x", "gs://bucket/x.jpg", "file:///etc/passwd", "", "a\x00b"])
def test_paths_that_escape_the_run_root_are_refused(run, tmp_path, path):
    (tmp_path / "outside.jpg").write_bytes(b"secret")
    with pytest.raises((MediaPathError, FileNotFoundError)):
        read_under(run, path)
    if path in ("../outside.jpg", "previews/../../outside.jpg", "/etc/passwd", "gs://bucket/x.jpg"):
        with pytest.raises(MediaPathError):
            resolve_under(run, path)


def test_symlink_pointing_outside_is_refused(run, tmp_path):
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", os.path.join(run, "previews", "link.jpg"))
    with pytest.raises(MediaPathError, match="escapes"):
        read_under(run, "previews/link.jpg")
    assert MediaRoots(run).run_file("previews/00/img000.jpg")[:2] == b"\xff\xd8"
    with pytest.raises(MediaPathError):
        MediaRoots(run).run_file("../secret.txt")


def test_originals_only_from_named_media_roots(run, tmp_path):
    original = str(tmp_path / "media" / "astronaut_0.jpg")
    with pytest.raises(MediaPathError, match="--media-root"):
        MediaRoots(run).original_path(original)
    roots = MediaRoots(run, (str(tmp_path / "media"),))
    assert roots.original_path(original) == os.path.realpath(original)
    assert roots.original_path("file://" + original) == os.path.realpath(original)
    with pytest.raises(MediaPathError):
        roots.original_path(str(tmp_path / "media" / ".." / "run" / ".." / ".." / "x.jpg"))
    with pytest.raises(MediaPathError, match="--media-root"):
        roots.original_path("gs://bucket/astronaut_0.jpg")


def test_animated_preview_becomes_an_animated_gif(run):
    gif = gif_from_webp(MediaRoots(run).run_file("previews/cl/clip000.webp"))
    img = Image.open(io.BytesIO(gif))
    assert img.format == "GIF" and img.n_frames == 6


def test_spectral_profile_falls_with_frequency():
    """The Item page plots the profile the curate job recorded (one spectrum definition, pipelines/media)."""
    import skimage.data
    from curation_ui.item_info import profile_series
    from framesift.schemas import ManifestRow
    from pipelines.media.spectrum import SPECTRUM_BINS, image_spectrum
    row = ManifestRow(item_id="a", source_uri="/x.png", media_type="image",
                      spectral_profile=image_spectrum(skimage.data.astronaut()).profile.tolist())
    prof = profile_series(row)
    assert len(prof["frequency"]) == SPECTRUM_BINS - 1
    assert prof["log10_power"][0] > prof["log10_power"][-1] + 2
    assert profile_series(ManifestRow(item_id="b", source_uri="/y.png", media_type="image")) is None
