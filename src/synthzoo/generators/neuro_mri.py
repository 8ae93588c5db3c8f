"""``neuro-mri``: SynthSeg-style brain MRI of any contrast and resolution.

Recipe: Billot et al., "SynthSeg: Segmentation of brain MRI scans of any contrast and
resolution without retraining", Medical Image Analysis 2023.  Defaults are SynthSeg's:
means U(25, 225), stds U(5, 25), scaling 0.8-1.2, rotation +-15 deg, shear +-0.012, SVF std
up to 4 voxels on a grid 1/25 of the size, bias std up to 0.7, log-gamma std 0.5, resolution
isotropic 1-4 mm or one axis 1-8 mm.

Generation labels: 0 background, 1 CSF, 2 GM, 3 WM, then ``n_extra`` non-brain labels that
:meth:`NeuroMRI.default_labels` fills with random shapes in a shell around the brain (so a
network learns to ignore non-brain tissue).  Target labels drop them to background.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

from synthzoo.generators import anatomy
from synthzoo.generators.base import Generator, as_size
from synthzoo.generators.intensity import BiasField, GaussianMixture, Gamma, Noise, Normalize, Resolution
from synthzoo.generators.labels import noise_shapes
from synthzoo.generators.registry import GENERATORS
from synthzoo.generators.samplers import SamplerLike
from synthzoo.generators.spatial import RandomSpatial


@GENERATORS.register()
class NeuroMRI(Generator):
    """Brain MRI of random contrast, resolution, bias, deformation and noise (SynthSeg)."""

    name = "neuro-mri"
    domain = "neuro-mri"
    dims = (2, 3)
    description = "Brain MRI of any contrast and resolution (SynthSeg recipe) on MNI152 tissue labels"

    def __init__(
        self,
        *,
        out_size: int | Sequence[int] | None = None,
        n_extra: int = 6,
        spacing: float = 1.0,
        means: SamplerLike = (25.0, 225.0),
        stds: SamplerLike = (5.0, 25.0),
        rotation: SamplerLike = 15.0,
        scaling: SamplerLike = (0.8, 1.2),
        shear: SamplerLike = 0.012,
        svf_std: SamplerLike = (0.0, 4.0),
        svf_scale: float = 1 / 25,
        bias_std: SamplerLike = (0.0, 0.7),
        bias_scale: float = 0.025,
        gamma_std: SamplerLike = 0.5,
        iso_resolution: SamplerLike = (1.0, 4.0),
        thick_resolution: SamplerLike = (1.0, 8.0),
        p_thick: float = 0.5,
        noise_std: SamplerLike = (0.0, 0.05),
        flip: float = 0.5,
    ) -> None:
        n_labels = len(anatomy.LABEL_NAMES) + n_extra
        steps = [
            RandomSpatial(out_size=out_size, rotation=rotation, scaling=scaling, shear=shear,
                          svf_std=svf_std, svf_scale=svf_scale, flip=flip, flip_axis=0),
            GaussianMixture(means=means, stds=stds),
            Resolution(iso=iso_resolution, thick=thick_resolution, p_thick=p_thick),
            BiasField(std=bias_std, scale=bias_scale),
            Gamma(std=gamma_std),
            Noise(std=noise_std, kind="rician"),
            Normalize(),
        ]
        lut = list(range(len(anatomy.LABEL_NAMES))) + [0] * n_extra
        super().__init__(steps, n_labels=n_labels, label_names=anatomy.LABEL_NAMES,
                         target_lut=lut, spacing=spacing)
        self.n_extra = int(n_extra)

    @staticmethod
    def suggested_spacing(size: int, dims: int) -> float:
        """Spacing (mm) at which the brain fits in ``size`` voxels."""
        return max(1.0, math.ceil(2 * 200 / size) / 2)

    def default_labels(self, *, batch: int = 1, size: int | Sequence[int] = 64, dims: int = 3,
                       generator: torch.Generator) -> torch.Tensor:
        """Training anatomy (held-out slab excluded) at this generator's spacing, centre
        cropped/padded to ``size``; 2D gives random axial slices.  Non-brain shapes fill a
        random-width shell around the brain."""
        size = as_size(size, dims)
        vol = torch.from_numpy(anatomy.training_labels(self.spacing)).to(generator.device)
        if dims == 3:
            labels = _fit(vol, size).expand(batch, 1, *size).clone()
        else:
            area = (vol > 0).flatten(0, 1).sum(0).float()
            usable = torch.nonzero(area >= 0.25 * area.max()).flatten()
            pick = torch.randint(len(usable), (batch,), generator=generator, device=generator.device)
            labels = torch.stack([_fit(vol[..., int(usable[k])], size)[0] for k in pick])
        return self.add_head(labels, generator=generator)

    def add_head(self, labels: torch.Tensor, *, generator: torch.Generator) -> torch.Tensor:
        """Fill a shell of random width around the brain with ``n_extra`` random shapes."""
        if self.n_extra == 0:
            return labels
        d = labels.dim() - 2
        B = labels.shape[0]
        brain = (labels > 0).float()
        pool = F.max_pool2d if d == 2 else F.max_pool3d
        extra = noise_shapes(batch=B, size=labels.shape[2:], n_labels=self.n_extra,
                             generator=generator) + len(anatomy.LABEL_NAMES)
        out = []
        for b in range(B):
            r = int(torch.randint(2, 12, (), generator=generator, device=generator.device))
            r = max(1, int(r / self.spacing))
            head = pool(brain[b : b + 1], kernel_size=2 * r + 1, stride=1, padding=r) > 0
            out.append(torch.where(head & (labels[b : b + 1] == 0), extra[b : b + 1], labels[b : b + 1]))
        return torch.cat(out)


def _fit(vol: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Centre crop / zero pad ``vol`` (spatial only) to ``size``; returns ``(1, 1, *size)``."""
    out = vol
    for axis, n in enumerate(size):
        cur = out.shape[axis]
        if cur > n:
            start = (cur - n) // 2
            out = out.narrow(axis, start, n)
        elif cur < n:
            before = (n - cur) // 2
            pad = [0, 0] * out.dim()
            k = out.dim() - 1 - axis
            pad[2 * k], pad[2 * k + 1] = before, n - cur - before
            out = F.pad(out, pad)
    return out[None, None]
