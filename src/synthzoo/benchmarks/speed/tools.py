"""Tool adapters of the speed benchmark: the neuro-MRI pipeline of synthzoo and the closest
equivalents in TorchIO (Perez-Garcia et al. 2021), cornucopia (Brudfors et al.) and MONAI,
each a factory ``(labels, spacing, device, seed) -> callable`` that draws one sample per call
on the SAME brain label map."""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch

TOOLS = ("synthzoo", "torchio", "cornucopia", "monai")
REFERENCE = "synthzoo"
REFERENCE_GENERATOR = "neuro-mri"


def brain_labels(size: int, device: str = "cpu", seed: int = 0) -> tuple[torch.Tensor, float]:
    """The neuro-MRI training label map (tissue + non-brain shell) at ``size``^3, at the
    spacing where the brain fits; ``int64 (1, 1, size, size, size)`` and the spacing."""
    from synthzoo.generators.preview import make_generator

    gen = make_generator(REFERENCE_GENERATOR, size=size, dims=3)
    g = torch.Generator().manual_seed(seed)
    return gen.default_labels(batch=1, size=size, dims=3, generator=g).to(device), gen.spacing


# --------------------------------------------------------------------------- pipelines
def synthzoo_pipeline(labels: torch.Tensor, spacing: float, device: str, seed: int) -> Callable[[], Any]:
    from synthzoo.generators import create

    size = tuple(labels.shape[2:])
    gen = create(REFERENCE_GENERATOR, out_size=size, spacing=spacing).to(device)
    g = torch.Generator(device=device).manual_seed(seed)

    def run() -> Any:
        with torch.no_grad():
            return gen(labels, generator=g)

    return run


def torchio_pipeline(labels: torch.Tensor, spacing: float, device: str, seed: int) -> Callable[[], Any]:
    """TorchIO's closest equivalent of the neuro-MRI pipeline (CPU only)."""
    import torchio as tio

    torch.manual_seed(seed)  # TorchIO draws from the global RNG
    transform = tio.Compose([
        tio.RandomLabelsToImage(label_key="label", image_key="image"),
        tio.RandomAffine(scales=(0.8, 1.2), degrees=15),
        tio.RandomElasticDeformation(),
        tio.RandomBiasField(),
        tio.RandomBlur(),
        tio.RandomGamma(),
        tio.RandomNoise(),
    ])
    subject = tio.Subject(label=tio.LabelMap(tensor=labels[0].cpu(), affine=_affine(spacing)))
    return lambda: transform(subject)


def cornucopia_pipeline(labels: torch.Tensor, spacing: float, device: str, seed: int) -> Callable[[], Any]:
    """cornucopia's SynthSeg recipe (``SynthFromLabelTransform``) with linear fields
    (``order=1``), as ours are."""
    import cornucopia as cc

    torch.manual_seed(seed)
    transform = cc.SynthFromLabelTransform(order=1)
    lab = labels[0]

    def run() -> Any:
        with torch.no_grad():
            return transform(lab)

    return run


def monai_pipeline(labels: torch.Tensor, spacing: float, device: str, seed: int) -> Callable[[], Any]:
    """MONAI: a per-label Gaussian-mixture lookup (MONAI has no labels-to-image transform),
    then ``Rand3DElastic`` (with rotation, scaling, shear), bias field, Gaussian smoothing,
    gamma contrast and Rician noise, all with probability 1."""
    import monai.transforms as mt

    n_labels = int(labels.max()) + 1
    g = torch.Generator(device=labels.device).manual_seed(seed)

    def labels_to_image(d: dict) -> dict:
        lab = d["label"]
        means = torch.rand(n_labels, generator=g, device=lab.device) * 200 + 25
        stds = torch.rand(n_labels, generator=g, device=lab.device) * 20 + 5
        noise = torch.randn(lab.shape, generator=g, device=lab.device)
        return {**d, "image": means[lab] + stds[lab] * noise}

    rot = math.pi / 12
    transform = mt.Compose([
        mt.Lambda(labels_to_image),
        mt.Rand3DElasticd(keys=["image", "label"], sigma_range=(5, 7), magnitude_range=(50, 150),
                          prob=1.0, rotate_range=(rot, rot, rot), shear_range=0.012,
                          scale_range=(0.2, 0.2, 0.2), mode=("bilinear", "nearest"),
                          padding_mode="zeros", device=torch.device(device)),
        mt.RandBiasFieldd(keys="image", prob=1.0),
        mt.RandGaussianSmoothd(keys="image", prob=1.0),
        mt.RandAdjustContrastd(keys="image", prob=1.0),
        mt.RandRicianNoised(keys="image", prob=1.0, std=0.05, relative=True),
    ])
    transform.set_random_state(seed=seed)
    data = {"label": labels[0]}

    def run() -> Any:
        with torch.no_grad():
            return transform(data)

    return run


def _affine(spacing: float):
    import numpy as np

    return np.diag([spacing, spacing, spacing, 1.0])


PIPELINES: dict[str, Callable[..., Callable[[], Any]]] = {
    "synthzoo": synthzoo_pipeline,
    "torchio": torchio_pipeline,
    "cornucopia": cornucopia_pipeline,
    "monai": monai_pipeline,
}


def tool_device(tool: str, device: str) -> str:
    """TorchIO works on CPU tensors only; the others follow ``device``."""
    return "cpu" if tool == "torchio" else device


def unavailable_tools(tools: Sequence[str]) -> dict[str, str]:
    """Tools that cannot be imported, with the reason (they are skipped, not failed)."""
    import importlib

    out = {}
    for tool in tools:
        try:
            importlib.import_module(tool)
        except Exception as exc:  # noqa: BLE001 - any import failure means "skip this tool"
            out[tool] = f"not installed or not importable ({type(exc).__name__}: {exc}); pip install {tool}"
    return out
