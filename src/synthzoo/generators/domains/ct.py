"""``ct``: head CT on a Hounsfield scale with randomised tissue values, windows and artifacts.

Recipe: SynthSeg-style domain randomization (Billot et al., Medical Image Analysis 2023: random
deformation, per-class intensities, slice thickness) with intensities drawn *around* CT tissue
values, as in the CT variants of the recipe (e.g. Billot et al., "Robust machine learning
segmentation for large-scale analysis of heterogeneous clinical brain MRI datasets", PNAS 2023,
which trains on CT too; Hoffmann et al., SynthStrip, NeuroImage 2022), plus the CT artifact
families (Barrett & Keat, RadioGraphics 2004; Boas & Fleischmann, Imaging Med. 2012):

1. random affine + diffeomorphic warp (:class:`~synthzoo.generators.engine.spatial.RandomSpatial`);
2. per-class Hounsfield units (:class:`HounsfieldMixture`): air ~ -1000, CSF 0..20,
   grey matter 35..50, white matter 20..35, skull 400..2000 HU, and for each non-brain shape a
   tissue type drawn per sample (fat, soft tissue, muscle/blood, bone, air); then randomised beyond realistic
   values: the brain contrast is stretched by ``brain_contrast`` and every class mean moves by
   ``N(0, hu_jitter)``; within-class texture ``N(0, texture)``;
3. slice thickness / resolution (SynthSeg's :class:`~synthzoo.generators.engine.intensity.Resolution`);
4. beam-hardening cupping, metal/bone streaks and (rarely) detector rings
   (:mod:`synthzoo.generators.physics.tomography`);
5. quantum noise: Gaussian in HU, spatially correlated by a small blur as filtered
   back-projection correlates it (:class:`QuantumNoise`);
6. a random display window (level, width) mapping HU to [0, 1], or with probability
   ``p_full_range`` the full 12-bit range -1024..3071 HU (:class:`Window`).

Generation labels: 0 background (air), 1 CSF, 2 grey matter, 3 white matter, 4 skull, then the
non-brain labels of the whole-head anatomy (``anatomy="synthseg-20"``: scalp, marrow, muscle,
eyes, air cavities, each its own label) or ``n_extra`` random shapes around the skull
(``anatomy="mni152-tissue"``); the target keeps labels 0-3.

``contrast="fixed"`` is the narrow baseline: the same anatomy and spatial augmentation, but
one standard protocol (:data:`FIXED`: textbook HU per physical tissue, soft kernel, brain
window) instead of randomized values and artifacts.

``partial_volume`` (default off): synthesize on the anatomy's 1 mm grid and average onto the
output grid, the target the majority class per output voxel
(:class:`~synthzoo.generators.physics.anatomy.PartialVolume`).
"""

from __future__ import annotations

from typing import Sequence

import torch

from synthzoo.generators.physics import anatomy
from synthzoo.generators.engine.base import Generator, Geometry, Params, State, Step, draw_seed, seeded
from synthzoo.generators.engine.intensity import GaussianMixture, Resolution, blur
from synthzoo.generators.engine.samplers import LogUniform, SamplerLike, as_sampler
from synthzoo.generators.engine.spatial import RandomSpatial
from synthzoo.generators.physics.tomography import Cupping, RingArtifact, Streaks

SKULL = anatomy.SKULL
LABEL_NAMES = anatomy.LABEL_NAMES
#: Hounsfield-unit ranges of the tissue types a non-brain shape draws from (equally likely):
#: fat, skin/soft tissue, muscle/blood, bone, air (sinuses).
EXTRA_TISSUES = ((-120.0, -60.0), (10.0, 50.0), (40.0, 80.0), (300.0, 1500.0), (-1000.0, -700.0))
#: Textbook Hounsfield units of the physical tissues (the narrow baseline's fixed values).
TISSUE_HU = {"air": -1000.0, "csf": 15.0, "gray_matter": 40.0, "white_matter": 25.0, "bone": 1000.0,
             "marrow": 300.0, "fat": -80.0, "muscle": 50.0, "fluid": 10.0}
#: ``contrast="fixed"``: the one protocol of the narrow baseline -- standard-dose head CT,
#: soft-tissue kernel (5 HU correlated noise), 1 mm in-plane, no cupping, streaks or rings,
#: every tissue at its textbook HU, shown in the brain window 40/80.
FIXED = {"brain_contrast": 1.0, "hu_jitter": 0.0, "texture": 3.0, "iso_resolution": 1.0,
         "p_thick": 0.0, "cupping": 0.0, "p_streaks": 0.0, "p_rings": 0.0, "noise_std": 5.0,
         "noise_correlation": 0.7, "level": 40.0, "width": 80.0, "p_full_range": 0.0}
CONTRASTS = ("random", "fixed")


class HounsfieldMixture(GaussianMixture):
    """Per-class Hounsfield units: ``hu`` gives one sampler per generation label (labels past
    its end draw a tissue type from ``extra_tissues`` per sample, then a value in that
    range).  ``brain_contrast`` stretches labels 1-3 about their mean; every mean then
    moves by ``N(0, hu_jitter)``; ``texture`` is the within-class std (HU).  Output:
    ``float32 (B, 1, *spatial)`` in HU."""

    def __init__(self, *, hu: Sequence[SamplerLike], extra_tissues: Sequence[SamplerLike] = EXTRA_TISSUES,
                 brain_contrast: SamplerLike = LogUniform(0.7, 3.0),
                 hu_jitter: SamplerLike = (0.0, 20.0), texture: SamplerLike = (0.0, 15.0)) -> None:
        super().__init__(stds=texture)
        self.hu = [as_sampler(h, name=f"hu[{i}]") for i, h in enumerate(hu)]
        self.extra_tissues = [as_sampler(t, name="extra_tissues") for t in extra_tissues]
        if not self.extra_tissues:
            raise ValueError("extra_tissues needs at least one tissue range")
        self.brain_contrast = as_sampler(brain_contrast, name="brain_contrast")
        self.hu_jitter = as_sampler(hu_jitter, name="hu_jitter")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, K, g = geom.batch, geom.n_labels, generator
        cols = [self.hu[k].sample((B,), generator=g) for k in range(min(K, len(self.hu)))]
        if K > len(self.hu):
            options = torch.stack([t.sample((B, K - len(self.hu)), generator=g)
                                   for t in self.extra_tissues], -1)
            pick = torch.randint(len(self.extra_tissues), options.shape[:2], generator=g,
                                 device=g.device)
            cols += list(torch.gather(options, 2, pick.unsqueeze(-1))[..., 0].unbind(1))
        means = torch.stack(cols, 1)
        if K >= 4:
            brain = means[:, 1:4]
            centre = brain.mean(1, keepdim=True)
            stretch = self.brain_contrast.sample((B, 1), generator=g)
            means = torch.cat([means[:, :1], centre + stretch * (brain - centre), means[:, 4:]], 1)
        jitter = self.hu_jitter.sample((B, 1), generator=g).abs()
        means = means + jitter * torch.randn((B, K), generator=g, device=g.device)
        stds = self.stds.sample((B, K), generator=g).abs()
        return {"means": means.unsqueeze(1), "stds": stds.unsqueeze(1), "seed": draw_seed(g)}


class QuantumNoise(Step):
    """Gaussian quantum noise of ``std`` HU (drawn per sample), correlated by a Gaussian blur
    of ``correlation`` voxels and rescaled to unit variance before scaling."""

    def __init__(self, *, std: SamplerLike = LogUniform(1.0, 40.0),
                 correlation: SamplerLike = (0.0, 1.2)) -> None:
        super().__init__()
        self.std = as_sampler(std, name="std")
        self.correlation = as_sampler(correlation, name="correlation")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        return {"std": self.std.sample((geom.batch,), generator=generator).abs(),
                "correlation": self.correlation.sample((geom.batch,), generator=generator).abs(),
                "seed": draw_seed(generator)}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        d = img.dim() - 2
        g = seeded(params["seed"], img.device)
        n = torch.randn(img.shape, generator=g, device=img.device)
        sigma = params["correlation"].to(img.device).view(-1, 1).expand(-1, d)
        n = blur(n, sigma)
        n = n / n.flatten(1).std(1).clamp_min(1e-6).view(-1, *([1] * (d + 1)))
        std = params["std"].to(img.device).view(-1, *([1] * (d + 1)))
        return State(state.labels, img + std * n, state.spacing)


class Window(Step):
    """Display window: ``clip((HU - (level - width / 2)) / width, 0, 1)`` with ``level`` and
    ``width`` (HU) drawn per sample.  Brain window 40/80, subdural 75/215, bone 600/2800.
    With probability ``p_full`` a sample instead gets the full 12-bit range ``full``
    (-1024..3071 HU), as when a CT volume is min-max normalised without a window."""

    def __init__(self, *, level: SamplerLike = (0.0, 100.0),
                 width: SamplerLike = LogUniform(60.0, 1500.0), p_full: float = 0.15,
                 full: tuple[float, float] = (-1024.0, 3071.0)) -> None:
        super().__init__()
        self.level = as_sampler(level, name="level")
        self.width = as_sampler(width, name="width")
        if not 0.0 <= p_full <= 1.0:
            raise ValueError(f"p_full is a probability in [0, 1], got {p_full}")
        if not full[1] > full[0]:
            raise ValueError(f"full must be (low, high) HU with low < high, got {full}")
        self.p_full = float(p_full)
        self.full = (float(full[0]), float(full[1]))

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, g = geom.batch, generator
        level = self.level.sample((B,), generator=g)
        width = self.width.sample((B,), generator=g).abs().clamp_min(1.0)
        use_full = torch.rand((B,), generator=g, device=g.device) < self.p_full
        lo, hi = self.full
        level = torch.where(use_full, torch.full_like(level, (lo + hi) / 2), level)
        width = torch.where(use_full, torch.full_like(width, hi - lo), width)
        return {"level": level, "width": width}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        shape = (-1,) + (1,) * (img.dim() - 1)
        lv = params["level"].to(img.device).view(shape)
        w = params["width"].to(img.device).view(shape)
        return State(state.labels, ((img - (lv - w / 2)) / w).clamp(0, 1), state.spacing)


class CT(anatomy.SkullHead, Generator):
    """Head CT: Hounsfield-scale tissue values randomised, window/level, cupping, streaks,
    quantum noise, slice thickness (SynthSeg-style randomization with CT physics)."""

    name = "ct"
    domain = "ct"
    dims = (2, 3)
    description = "Head CT: randomised Hounsfield units, window/level, cupping, streaks, quantum noise"

    def __init__(
        self,
        *,
        out_size: int | Sequence[int] | None = None,
        anatomy: str = "synthseg-20",
        n_extra: int = 6,
        p_head_slice: float = 0.25,
        spacing: float = 1.0,
        air: SamplerLike = (-1010.0, -950.0),
        csf: SamplerLike = (0.0, 20.0),
        gray_matter: SamplerLike = (35.0, 50.0),
        white_matter: SamplerLike = (20.0, 35.0),
        bone: SamplerLike = (400.0, 2000.0),
        extra_tissues: Sequence[SamplerLike] = EXTRA_TISSUES,
        brain_contrast: SamplerLike = LogUniform(0.7, 3.0),
        hu_jitter: SamplerLike = (0.0, 20.0),
        texture: SamplerLike = (0.0, 15.0),
        rotation: SamplerLike = 20.0,
        scaling: SamplerLike = (0.8, 1.2),
        shear: SamplerLike = 0.012,
        svf_std: SamplerLike = (0.0, 4.0),
        flip: float = 0.5,
        iso_resolution: SamplerLike = (1.0, 3.0),
        slice_thickness: SamplerLike = (1.0, 8.0),
        p_thick: float = 0.7,
        cupping: SamplerLike = (0.0, 0.08),
        streak_amplitude: SamplerLike = (0.0, 300.0),
        p_streaks: float = 0.4,
        ring_amplitude: SamplerLike = (0.0, 30.0),
        p_rings: float = 0.15,
        noise_std: SamplerLike = LogUniform(1.0, 40.0),
        noise_correlation: SamplerLike = (0.0, 1.2),
        level: SamplerLike = (0.0, 100.0),
        width: SamplerLike = LogUniform(60.0, 1500.0),
        p_full_range: float = 0.15,
        contrast: str = "random",
        partial_volume: bool = False,
    ) -> None:
        if contrast not in CONTRASTS:
            raise ValueError(f"unknown contrast {contrast!r}; valid: {', '.join(CONTRASTS)}")
        n_extra = self.init_anatomy(anatomy, n_extra, p_head_slice)
        n_labels = SKULL + 1 + n_extra
        hu: list[SamplerLike] = [air, csf, gray_matter, white_matter, bone]
        fixed: dict = {}
        if contrast == "fixed":
            fixed = FIXED
            hu = [TISSUE_HU[t] for t in ("air", "csf", "gray_matter", "white_matter", "bone")]
            hu += [TISSUE_HU[t] for t in self.extra_physical(n_extra)]

        def v(name: str, value):
            return fixed.get(name, value)

        steps = [
            RandomSpatial(out_size=out_size, rotation=rotation, scaling=scaling, shear=shear,
                          svf_std=svf_std, flip=flip, flip_axis=0),
            HounsfieldMixture(hu=hu, extra_tissues=extra_tissues,
                              brain_contrast=v("brain_contrast", brain_contrast),
                              hu_jitter=v("hu_jitter", hu_jitter), texture=v("texture", texture)),
            Resolution(iso=v("iso_resolution", iso_resolution), thick=slice_thickness,
                       p_thick=v("p_thick", p_thick)),
            Cupping(strength=v("cupping", cupping), offset=1000.0),
            Streaks(amplitude=streak_amplitude, prob=v("p_streaks", p_streaks)),
            RingArtifact(amplitude=ring_amplitude, prob=v("p_rings", p_rings)),
            QuantumNoise(std=v("noise_std", noise_std), correlation=v("noise_correlation", noise_correlation)),
            Window(level=v("level", level), width=v("width", width), p_full=v("p_full_range", p_full_range)),
        ]
        super().__init__(steps, n_labels=n_labels, label_names=LABEL_NAMES,
                         target_lut=self.head_target_lut(n_extra), spacing=spacing)
        self.n_extra = int(n_extra)
        self.contrast = contrast
        self.init_partial_volume(partial_volume, self.anatomy_spacing)

    def config(self) -> dict:
        return {**super().config(), "anatomy": self.anatomy, "p_head_slice": self.p_head_slice,
                "contrast": self.contrast, "partial_volume": self.partial_volume}


__all__ = ["CT", "HounsfieldMixture", "QuantumNoise", "Window"]
