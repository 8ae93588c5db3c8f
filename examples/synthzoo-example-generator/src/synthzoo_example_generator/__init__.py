"""``example-disks``: a minimal synthzoo generator plugin.

Random disks (2D) or balls (3D) on a background, rendered by the synthzoo engine: a Gaussian
mixture with random per-class means (SynthSeg-style, Billot et al., MedIA 2023), a random blur,
Gaussian noise and min-max normalisation.  Layout: labels ``int64 (B, 1, *spatial)`` in,
images ``float32 (B, 1, *spatial)`` out.  Generation labels: 0 background, 1..n_classes disk
classes; the target keeps them all.

The class is registered only through the entry point in ``pyproject.toml`` (group
``synthzoo.generators``); it does not import anything from synthzoo that is not public.
"""

from __future__ import annotations

from typing import Sequence

import torch

from synthzoo.generators.engine.base import Generator, as_size
from synthzoo.generators.engine.intensity import Blur, GaussianMixture, Noise, Normalize
from synthzoo.generators.engine.samplers import SamplerLike
from synthzoo.generators.engine.spatial import RandomSpatial

__version__ = "0.1.0"


class ExampleDisks(Generator):
    """Random disks with random contrast, blur and noise (a plugin example)."""

    name = "example-disks"
    domain = "toy"
    dims = (2, 3)
    description = "Random disks/balls with random contrast, blur and noise (example plugin)"

    def __init__(
        self,
        *,
        out_size: int | Sequence[int] | None = None,
        spacing: float = 1.0,
        n_classes: int = 3,
        n_disks: int = 12,
        means: SamplerLike = (0.0, 1.0),
        stds: SamplerLike = (0.0, 0.05),
        blur_sigma: SamplerLike = (0.0, 1.5),
        noise_std: SamplerLike = (0.0, 0.1),
    ) -> None:
        steps = [
            RandomSpatial(out_size=out_size, rotation=180.0, scaling=(0.9, 1.1), shear=0.0,
                          svf_std=(0.0, 2.0), svf_scale=1 / 8),
            GaussianMixture(means=means, stds=stds),
            Blur(sigma=blur_sigma),
            Noise(std=noise_std),
            Normalize(),
        ]
        names = ["background"] + [f"disk_{k + 1}" for k in range(n_classes)]
        super().__init__(steps, n_labels=n_classes + 1, label_names=names, spacing=spacing)
        self.n_disks = int(n_disks)

    def default_labels(self, *, batch: int = 1, size: int | Sequence[int] = 64, dims: int = 3,
                       generator: torch.Generator) -> torch.Tensor:
        """``n_disks`` random disks (balls in 3D) of random class and radius, ``int64 (B, 1, *size)``."""
        size = as_size(size, dims)
        dev = generator.device
        axes = [torch.arange(n, device=dev, dtype=torch.float32) for n in size]
        grid = torch.stack(torch.meshgrid(*axes, indexing="ij"), -1)  # (*size, d)
        extent = torch.tensor(size, device=dev, dtype=torch.float32)
        out = torch.zeros((batch, 1, *size), dtype=torch.long, device=dev)
        for b in range(batch):
            centres = torch.rand((self.n_disks, dims), generator=generator, device=dev) * extent
            radii = (0.05 + 0.1 * torch.rand((self.n_disks,), generator=generator, device=dev)) * min(size)
            classes = torch.randint(1, self.n_labels, (self.n_disks,), generator=generator, device=dev)
            for c, r, k in zip(centres, radii, classes):
                inside = (grid - c).square().sum(-1) <= r * r
                out[b, 0][inside] = k
        return out
