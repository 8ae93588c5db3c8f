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

from typing import Sequence

import torch

from synthzoo.generators import anatomy
from synthzoo.generators.base import Generator, as_size
from synthzoo.generators.intensity import BiasField, GaussianMixture, Gamma, Noise, Normalize, Resolution
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

    suggested_spacing = staticmethod(anatomy.suggested_spacing)

    def default_labels(self, *, batch: int = 1, size: int | Sequence[int] = 64, dims: int = 3,
                       generator: torch.Generator) -> torch.Tensor:
        """Training anatomy (held-out slab excluded) at this generator's spacing, centre
        cropped/padded to ``size``; 2D gives random axial slices.  Non-brain shapes fill a
        random-width shell around the brain."""
        size = as_size(size, dims)
        labels = anatomy.training_label_maps(batch=batch, size=size, dims=dims,
                                             spacing=self.spacing, generator=generator)
        return self.add_head(labels, generator=generator)

    def add_head(self, labels: torch.Tensor, *, generator: torch.Generator) -> torch.Tensor:
        """Fill a shell of random width around the brain with ``n_extra`` random shapes."""
        return anatomy.add_shell(labels, n_extra=self.n_extra, spacing=self.spacing,
                                 generator=generator)
