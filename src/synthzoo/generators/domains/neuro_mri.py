"""``neuro-mri``: SynthSeg-style brain MRI of any contrast and resolution.

Recipe: Billot et al., "SynthSeg: Segmentation of brain MRI scans of any contrast and
resolution without retraining", Medical Image Analysis 2023.  Defaults are SynthSeg's:
means U(25, 225), stds U(5, 25), scaling 0.8-1.2, rotation +-15 deg, shear +-0.012, SVF std
up to 4 voxels on a grid 1/25 of the size, bias std up to 0.7, log-gamma std 0.5, resolution
isotropic 1-4 mm or one axis 1-8 mm.

Anatomy (``anatomy=``, :mod:`synthzoo.anatomy`):

* ``synthseg-20`` (default): the whole-head label maps of SynthSeg's 15 training subjects
  (held-out subjects 16-20 are never read).  Every one of the 54 labels -- brain structures,
  skull, scalp, eyes, soft tissue -- gets its own random intensity, so a network learns to
  ignore the head (with probability ``p_grouped`` per sample, labels of one physical tissue
  share an intensity instead, a tissue-consistent contrast as scanners give; ``separation``
  > 0 then keeps the CSF, GM and WM means at least that far apart, in any order).  The target comes from the source's look-up table ``target=``: ``tissue``
  (background, CSF, GM, WM; deep grey structures count as GM, ventricles as CSF) or ``brain``
  (a brain mask, SynthStrip's task: Hoffmann et al., NeuroImage 2022).  2D samples are
  axial slices with brain, or with probability ``p_head_slice`` any slice of the head (neck,
  face, skull base, vertex), so that a 2D network run on every slice of a whole-head volume
  has learnt that slices without brain have no brain tissue.  With probability
  ``p_stripped`` a sample is skull-stripped after its acquisition (:class:`SkullStrip`):
  the image is zero outside the brain and the non-brain labels become background, and half
  of those samples lose the CSF around the brain too (brain masks keep it or cut it), so that
  a network run on a skull-stripped scan does not take the rim where the brain meets the
  masked-out background for CSF.  With probability ``p_fov`` a sample keeps only a random
  box of its field of view (each side a fraction ``fov`` of the sample's; :class:`FieldOfView`):
  zero image and background labels outside, as an image cropped to part of the head looks
  once padded to the network's input, so that a network run on such a crop (a partial field
  of view, a scan cropped to a region of the brain) does not take its edge for the head's.
  With ``partial_volume`` (default off, so that older recipes draw as before) a sample is
  synthesized on the anatomy's own grid (1 mm for ``synthseg-20``) and averaged onto the
  output grid of ``spacing``: each output voxel's intensity is the mean over the fine voxels
  it covers (partial volume: a thin CSF layer is a blend of CSF and grey matter, as a scanner
  and the ``neuro-contrasts`` test set make it) and its target is the majority class among
  them.  Without it the label map is first resampled to ``spacing`` by nearest neighbour, so
  every voxel is pure tissue and thin structures alias (at 1.5 mm the nearest-neighbour and
  majority tissue maps of a subject agree at Dice 0.82 / 0.79 / 0.88 for CSF / GM / WM).
* ``mni152-tissue``: the MNI152 template tissue classes (held-out slab excluded) with
  ``n_extra`` random non-brain shapes in a shell around the brain.

``contrast="t1w"`` replaces the random intensities with one fixed T1-weighted contrast (per
physical tissue, +-10 % per sample, :class:`~synthzoo.generators.engine.intensity.FixedContrast`):
the narrow baseline, trained the conventional way on one contrast with everything else equal.
"""

from __future__ import annotations

from typing import Sequence

import torch

from synthzoo.generators.physics import anatomy
from synthzoo.generators.physics.anatomy import probability
from synthzoo.generators.engine.base import Generator, Geometry, Params, State, Step, as_size
from synthzoo.generators.engine.intensity import (BiasField, FixedContrast, GaussianMixture, Gamma, Noise,
                                           Normalize, Resolution)
from synthzoo.generators.engine.samplers import SamplerLike
from synthzoo.generators.engine.spatial import FieldOfView, RandomSpatial

#: T1-weighted (spoiled gradient echo-like) intensity of each physical tissue, 0-255 scale:
#: the one contrast of the narrow baseline.
T1W = {"air": 5.0, "csf": 40.0, "gray_matter": 110.0, "white_matter": 165.0, "bone": 20.0,
       "marrow": 170.0, "fat": 220.0, "muscle": 80.0, "fluid": 35.0}
CONTRASTS = ("random", "t1w")


class NeuroMRI(anatomy.PartialVolume, Generator):
    """Brain MRI of random contrast, resolution, bias, deformation and noise (SynthSeg)."""

    name = "neuro-mri"
    domain = "neuro-mri"
    dims = (2, 3)
    description = "Brain MRI of any contrast and resolution (SynthSeg recipe) on whole-head label maps"

    def __init__(
        self,
        *,
        out_size: int | Sequence[int] | None = None,
        anatomy: str = "synthseg-20",
        target: str = "tissue",
        contrast: str = "random",
        n_extra: int = 6,
        p_head_slice: float = 0.25,
        p_stripped: float = 0.0,
        spacing: float = 1.0,
        means: SamplerLike = (25.0, 225.0),
        stds: SamplerLike = (5.0, 25.0),
        p_grouped: float = 0.5,
        separation: float = 0.0,
        p_close: float = 0.0,
        close: float = 0.15,
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
        partial_volume: bool = False,
        p_fov: float = 0.0,
        fov: SamplerLike = (0.3, 0.9),
    ) -> None:
        from synthzoo.anatomy import get_source

        if contrast not in CONTRASTS:
            raise ValueError(f"unknown contrast {contrast!r}; valid: {', '.join(CONTRASTS)}")
        source = get_source(anatomy)
        names, lut = source.target(target)
        if anatomy == "mni152-tissue":
            n_labels = len(source.label_values) + n_extra
            lut = list(lut) + [0] * n_extra
            physical = list(anatomy_physical_mni()) + ["muscle"] * n_extra
        else:
            n_extra = 0
            n_labels = len(source.label_values)
            physical = list(getattr(source, "physical", ()))
        if contrast == "random":
            kinds = sorted(set(physical))
            groups = [kinds.index(p) for p in physical] if len(physical) == n_labels else None
            brain = [kinds.index(k) for k in ("csf", "gray_matter", "white_matter") if k in kinds]
            intensity = GaussianMixture(means=means, stds=stds, groups=groups,
                                        p_grouped=p_grouped if groups else 0.0,
                                        separate=brain if groups else (),
                                        separation=separation if groups else 0.0,
                                        p_close=p_close if groups else 0.0, close=close)
        else:
            if len(physical) != n_labels:
                raise ValueError(f"contrast {contrast!r} needs the physical tissue of every label; "
                                 f"anatomy {anatomy!r} does not declare them")
            intensity = FixedContrast(table=[T1W[p] for p in physical])
        steps = [
            RandomSpatial(out_size=out_size, rotation=rotation, scaling=scaling, shear=shear,
                          svf_std=svf_std, svf_scale=svf_scale, flip=flip, flip_axis=0),
            intensity,
            Resolution(iso=iso_resolution, thick=thick_resolution, p_thick=p_thick),
            BiasField(std=bias_std, scale=bias_scale),
        ]
        if contrast == "random":
            steps.append(Gamma(std=gamma_std))
        steps.append(Noise(std=noise_std, kind="rician"))
        p_stripped = probability("p_stripped", p_stripped)
        if p_stripped:  # only then, so that samples without it draw as before
            if anatomy == "mni152-tissue":
                raise ValueError("p_stripped needs a whole-head anatomy source (e.g. synthseg-20)")
            steps.append(SkullStrip(source, p=p_stripped))
        p_fov = probability("p_fov", p_fov)
        if p_fov:  # only then, so that samples without it draw as before
            steps.append(FieldOfView(p=p_fov, size=fov))
        steps.append(Normalize())
        super().__init__(steps, n_labels=n_labels, label_names=names, target_lut=list(lut),
                         spacing=spacing)
        self.anatomy = anatomy
        self.target = target
        self.contrast = contrast
        self.n_extra = int(n_extra)
        self.p_head_slice = probability("p_head_slice", p_head_slice)
        self.p_stripped = p_stripped
        self.p_fov = p_fov
        self._source = source
        self.init_partial_volume(partial_volume, source.spacing)

    suggested_spacing = staticmethod(anatomy.suggested_spacing)

    def default_labels(self, *, batch: int = 1, size: int | Sequence[int] = 64, dims: int = 3,
                       generator: torch.Generator) -> torch.Tensor:
        """Training anatomy, ``int64 (B, 1, *size)`` at this generator's spacing -- or, with
        ``partial_volume``, on the finer grid it synthesizes on (:attr:`synthesis_spacing`),
        as many voxels as cover ``size`` output voxels, so that the samples come out at
        ``size``: random training subjects and random crops (2D: random axial slices) for
        whole-head sources; for ``mni152-tissue`` the template without its held-out slab,
        centre cropped, with non-brain shapes in a shell around the brain."""
        size = self.fine_size(as_size(size, dims))
        sp = self.synthesis_spacing
        if self.anatomy == "mni152-tissue":
            labels = anatomy.training_label_maps(batch=batch, size=size, dims=dims,
                                                 spacing=sp, generator=generator)
            return self.add_head(labels, generator=generator)
        return anatomy.source_label_maps(self._source, batch=batch, size=size, dims=dims,
                                         spacing=sp, generator=generator,
                                         p_head=self.p_head_slice)

    def add_head(self, labels: torch.Tensor, *, generator: torch.Generator) -> torch.Tensor:
        """Fill a shell of random width around the brain with ``n_extra`` random shapes."""
        return anatomy.add_shell(labels, n_extra=self.n_extra, spacing=self.synthesis_spacing,
                                 generator=generator)

    def config(self) -> dict:
        return {**super().config(), "anatomy": self.anatomy, "p_head_slice": self.p_head_slice,
                "p_stripped": self.p_stripped, "p_fov": self.p_fov, "target": self.target,
                "partial_volume": self.partial_volume,
                "contrast": self.contrast}


class SkullStrip(Step):
    """A skull-stripped scan, with probability ``p`` per sample: the image is set to zero and
    the labels to background (index 0) outside the brain mask of ``source`` (its ``brain``
    target); in half of those samples the mask also leaves out the CSF around the brain
    (``source.outer_csf``), which brain masks keep or cut.  The acquisition blur is already
    in the image, so the brain's edge keeps the partial volume of what surrounded it."""

    def __init__(self, source, *, p: float = 0.5) -> None:
        super().__init__()
        self.p = probability("p_stripped", p)
        brain = torch.as_tensor(source.target("brain")[1], dtype=torch.bool)
        outer = torch.zeros_like(brain)
        for v in source.outer_csf:
            outer[source.label_values.index(v)] = True
        self.brain, self.outer = brain, outer

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        u = torch.rand((geom.batch, 2), generator=generator, device=generator.device)
        return {"strip": u[:, 0] < self.p, "cut_csf": u[:, 1] < 0.5}

    def apply(self, state: State, /, *, params: Params) -> State:
        lab = state.labels
        per_sample = (-1,) + (1,) * (lab.dim() - 1)
        strip, cut_csf = (params[k].to(lab.device).view(per_sample) for k in ("strip", "cut_csf"))
        brain, outer = self.brain.to(lab.device), self.outer.to(lab.device)
        keep = ~strip | (brain[lab] & ~(outer[lab] & cut_csf))
        image = torch.where(keep, state.image, torch.zeros((), dtype=state.image.dtype, device=state.image.device))
        return State(torch.where(keep, lab, torch.zeros_like(lab)), image, state.spacing)


def anatomy_physical_mni() -> tuple[str, ...]:
    return ("air", "csf", "gray_matter", "white_matter")
