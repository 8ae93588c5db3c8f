"""``pet``: brain PET of random tracer contrast, resolution and count level.

Recipe: SynthSeg-style domain randomization (Billot et al., Medical Image Analysis 2023) with
the image formation of emission tomography: activity per tissue class, a large point-spread
function (scanner resolution 4-6 mm FWHM; Moses, "Fundamental limits of spatial resolution in
PET", NIM A 2011), partial-volume effects from the PSF and coarse voxels (Rousset et al.,
J Nucl Med 1998), and Poisson count statistics smoothed by reconstruction:

1. random affine + diffeomorphic warp (:class:`~synthzoo.generators.engine.spatial.RandomSpatial`);
2. per-class uptake relative to white matter (:class:`Uptake`): grey/white ratio drawn over
   ``LogUniform(0.25, 8)`` so FDG-like (GM ~ 4 x WM) and amyloid-like (WM > GM) contrasts both
   occur, CSF and skull low, each non-brain shape its own uptake, background near zero, and
   a within-class heterogeneity proportional to the uptake;
3. PSF blur with FWHM drawn in mm (:class:`PSF`, anisotropic along the last (axial) axis);
4. voxel size / partial volume (:class:`~synthzoo.generators.engine.intensity.Resolution`);
5. a smooth attenuation-correction error (:class:`~synthzoo.generators.engine.intensity.BiasField`);
6. counts: the image is scaled to ``peak`` expected counts in its brightest voxel and
   Poisson-sampled (:class:`~synthzoo.generators.engine.intensity.PoissonNoise`), then smoothed by a
   post-reconstruction filter and min-max normalised.

Generation labels: 0 background, 1 CSF, 2 grey matter, 3 white matter, 4 skull, then the
non-brain labels of the whole-head anatomy (``anatomy="synthseg-20"``) or ``n_extra`` random
shapes (``anatomy="mni152-tissue"``); the target keeps labels 0-3.

``contrast="fixed"`` is the narrow baseline: the same anatomy and spatial augmentation, but
one FDG scan (:data:`FIXED`) instead of random tracers, scanners and count levels.

``partial_volume`` (default off): synthesize on the anatomy's 1 mm grid and average onto the
output grid, the target the majority class per output voxel
(:class:`~synthzoo.generators.physics.anatomy.PartialVolume`).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from synthzoo.generators.physics import anatomy
from synthzoo.generators.engine.base import Generator, Geometry, Params, State, Step, draw_seed
from synthzoo.generators.engine.intensity import (BiasField, Blur, GaussianMixture, Normalize, PoissonNoise,
                                           Resolution, blur)
from synthzoo.generators.engine.samplers import LogUniform, SamplerLike, as_sampler
from synthzoo.generators.engine.spatial import RandomSpatial

SKULL = anatomy.SKULL
LABEL_NAMES = anatomy.LABEL_NAMES
FWHM_TO_SIGMA = 1 / (2 * math.sqrt(2 * math.log(2)))
#: FDG uptake of the physical tissues relative to white matter (the narrow baseline's values).
TISSUE_FDG = {"air": 0.0, "csf": 0.05, "gray_matter": 4.0, "white_matter": 1.0, "bone": 0.3,
              "marrow": 0.5, "fat": 0.3, "muscle": 0.6, "fluid": 0.05}
#: ``contrast="fixed"``: the one scan of the narrow baseline -- FDG (GM = 4 x WM), a 5 mm PSF,
#: 2 mm voxels, no attenuation-correction error, 40 counts in the brightest voxel, a light
#: post-filter; every non-brain tissue at its FDG uptake.
FIXED = {"background": 0.0, "csf": TISSUE_FDG["csf"], "gm_wm_ratio": TISSUE_FDG["gray_matter"],
         "skull": TISSUE_FDG["bone"], "heterogeneity": 0.05, "fwhm": 5.0, "axial_ratio": 1.0,
         "voxel_size": 2.0, "p_thick": 0.0, "bias_std": 0.0, "peak_counts": 40.0, "smoothing": 0.5}
CONTRASTS = ("random", "fixed")


class Uptake(GaussianMixture):
    """Activity per class, relative to white matter (= 1): ``background``, ``csf``,
    ``gm_wm_ratio`` (grey matter = ratio x white matter), ``skull`` and ``extra`` (each label
    past the skull) are drawn per sample (``extra_table``: one fixed uptake per extra label
    instead); ``heterogeneity`` is the within-class std as a
    fraction of the class activity.  Output ``float32 (B, 1, *spatial)``, >= 0."""

    def __init__(self, *, background: SamplerLike = (0.0, 0.05), csf: SamplerLike = (0.0, 0.4),
                 gm_wm_ratio: SamplerLike = LogUniform(0.25, 8.0), skull: SamplerLike = (0.0, 0.3),
                 extra: SamplerLike = (0.0, 1.5), heterogeneity: SamplerLike = (0.0, 0.15),
                 extra_table: Sequence[float] | None = None) -> None:
        super().__init__(stds=heterogeneity)
        self.extra_table = None if extra_table is None else [float(x) for x in extra_table]
        self.background = as_sampler(background, name="background")
        self.csf = as_sampler(csf, name="csf")
        self.gm_wm_ratio = as_sampler(gm_wm_ratio, name="gm_wm_ratio")
        self.skull = as_sampler(skull, name="skull")
        self.extra = as_sampler(extra, name="extra")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, K, g = geom.batch, geom.n_labels, generator
        cols = [self.background.sample((B,), generator=g), self.csf.sample((B,), generator=g),
                self.gm_wm_ratio.sample((B,), generator=g), torch.ones((B,), device=g.device),
                self.skull.sample((B,), generator=g)][:K]
        means = torch.stack(cols, 1).abs()
        if K > len(cols):
            if self.extra_table is not None:
                if len(self.extra_table) < K - len(cols):
                    raise ValueError(f"extra_table gives {len(self.extra_table)} uptakes for "
                                     f"{K - len(cols)} extra labels")
                table = torch.tensor(self.extra_table[:K - len(cols)], device=g.device)
                extra = table.expand(B, -1)
            else:
                extra = self.extra.sample((B, K - len(cols)), generator=g).abs()
            means = torch.cat([means, extra], 1)
        stds = self.stds.sample((B, K), generator=g).abs() * means
        return {"means": means.unsqueeze(1), "stds": stds.unsqueeze(1), "seed": draw_seed(g)}

    def apply(self, state: State, /, *, params: Params) -> State:
        out = super().apply(state, params=params)
        return State(out.labels, out.image.clamp_min(0), out.spacing)


class PSF(Step):
    """Scanner point-spread function: Gaussian blur of ``fwhm`` mm (drawn per sample); in 3D
    the last (axial) axis gets ``fwhm * axial_ratio``."""

    def __init__(self, *, fwhm: SamplerLike = LogUniform(2.5, 12.0),
                 axial_ratio: SamplerLike = (0.8, 1.5)) -> None:
        super().__init__()
        self.fwhm = as_sampler(fwhm, name="fwhm")
        self.axial_ratio = as_sampler(axial_ratio, name="axial_ratio")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, d = geom.batch, geom.dims
        fwhm = self.fwhm.sample((B, 1), generator=generator).abs().expand(B, d).clone()
        ratio = self.axial_ratio.sample((B,), generator=generator).abs()
        if d == 3:
            fwhm[:, -1] = fwhm[:, -1] * ratio
        spacing = torch.tensor(geom.spacing, device=generator.device)
        return {"fwhm_mm": fwhm, "sigma": fwhm * FWHM_TO_SIGMA / spacing}

    def apply(self, state: State, /, *, params: Params) -> State:
        return State(state.labels, blur(state.image, params["sigma"].to(state.image.device)),
                     state.spacing)


class PET(anatomy.SkullHead, Generator):
    """Brain PET: per-class uptake (any tracer contrast), large PSF, partial volume, Poisson
    counts, post-reconstruction smoothing."""

    name = "pet"
    domain = "pet"
    dims = (2, 3)
    description = "Brain PET: random tracer uptake per class, large PSF, partial volume, Poisson counts"

    def __init__(
        self,
        *,
        out_size: int | Sequence[int] | None = None,
        anatomy: str = "synthseg-20",
        n_extra: int = 6,
        p_head_slice: float = 0.25,
        spacing: float = 1.0,
        background: SamplerLike = (0.0, 0.05),
        csf: SamplerLike = (0.0, 0.4),
        gm_wm_ratio: SamplerLike = LogUniform(0.25, 8.0),
        skull: SamplerLike = (0.0, 0.3),
        extra: SamplerLike = (0.0, 1.5),
        heterogeneity: SamplerLike = (0.0, 0.15),
        rotation: SamplerLike = 20.0,
        scaling: SamplerLike = (0.8, 1.2),
        shear: SamplerLike = 0.012,
        svf_std: SamplerLike = (0.0, 4.0),
        flip: float = 0.5,
        fwhm: SamplerLike = LogUniform(2.5, 12.0),
        axial_ratio: SamplerLike = (0.8, 1.5),
        voxel_size: SamplerLike = (2.0, 4.0),
        slice_thickness: SamplerLike = (2.0, 6.0),
        p_thick: float = 0.2,
        bias_std: SamplerLike = (0.0, 0.3),
        peak_counts: SamplerLike = LogUniform(3.0, 300.0),
        smoothing: SamplerLike = (0.0, 1.0),
        contrast: str = "random",
        partial_volume: bool = False,
    ) -> None:
        if contrast not in CONTRASTS:
            raise ValueError(f"unknown contrast {contrast!r}; valid: {', '.join(CONTRASTS)}")
        n_extra = self.init_anatomy(anatomy, n_extra, p_head_slice)
        n_labels = SKULL + 1 + n_extra
        fixed: dict = {}
        if contrast == "fixed":
            fixed = {**FIXED, "extra_table": [TISSUE_FDG[t] for t in self.extra_physical(n_extra)]}

        def v(name: str, value):
            return fixed.get(name, value)

        steps = [
            RandomSpatial(out_size=out_size, rotation=rotation, scaling=scaling, shear=shear,
                          svf_std=svf_std, flip=flip, flip_axis=0),
            Uptake(background=v("background", background), csf=v("csf", csf),
                   gm_wm_ratio=v("gm_wm_ratio", gm_wm_ratio), skull=v("skull", skull),
                   extra=extra, heterogeneity=v("heterogeneity", heterogeneity),
                   extra_table=fixed.get("extra_table")),
            PSF(fwhm=v("fwhm", fwhm), axial_ratio=v("axial_ratio", axial_ratio)),
            Resolution(iso=v("voxel_size", voxel_size), thick=slice_thickness, p_thick=v("p_thick", p_thick)),
            BiasField(std=v("bias_std", bias_std)),
            Normalize(),
            PoissonNoise(peak=v("peak_counts", peak_counts)),
            Blur(sigma=v("smoothing", smoothing)),
            Normalize(),
        ]
        super().__init__(steps, n_labels=n_labels, label_names=LABEL_NAMES,
                         target_lut=self.head_target_lut(n_extra), spacing=spacing)
        self.n_extra = int(n_extra)
        self.contrast = contrast
        self.init_partial_volume(partial_volume, self.anatomy_spacing)

    def config(self) -> dict:
        return {**super().config(), "anatomy": self.anatomy, "p_head_slice": self.p_head_slice,
                "contrast": self.contrast, "partial_volume": self.partial_volume}


__all__ = ["PET", "PSF", "Uptake"]
