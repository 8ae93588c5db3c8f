"""``em``: electron microscopy of cells with membranes as a target class.

Recipe: cell label maps from warped Voronoi tessellations (Voronoi / Dirichlet domains as a
model of packed cells: Honda, "Description of cellular patterns by Dirichlet domains",
J. Theor. Biol. 1978), membranes as the voxels near a cell wall (random thickness, a target
class), organelle-like blobs (elongated mitochondria, small vesicles) inside cells; rendered by
domain randomization in the manner of SynthSeg (Billot et al., MedIA 2023: random intensities
per class, random deformation) with the artifact families that define EM: dark membranes,
textured cytoplasm, section-thickness blur along the cutting axis ``z`` (3D), charging /
brightness drift across sections or scan lines, and electron-count (Poisson) plus Gaussian
noise.

Layout: ``(B, 1, H, W)`` in 2D and ``(B, 1, Z, Y, X)`` in 3D with the section axis ``z``
first.  Generation labels: 0 extracellular space, 1 membrane, 2 mitochondrion, 3 vesicle, then
``n_cytoplasm`` cytoplasm labels (cells of different brightness) that the target merges into
one ``cytoplasm`` class.

Defaults (overridable with numbers, pairs or samplers): cell size U(14, 40) voxels, membrane
half-thickness U(0.6, 2.5) voxels, intensities membrane U(0, 0.3), cytoplasm U(0.45, 1),
mitochondrion U(0.2, 0.6), vesicle U(0.3, 0.9), extracellular U(0.5, 1); texture std U(0.05,
0.35); in-plane blur U(0, 1); section thickness U(1, 5) sections (3D); drift std U(0, 0.25);
electron dose LogUniform(10, 2000); Gaussian noise U(0, 0.06).

``targets="cytoplasm-membrane-mitochondrion-vesicle"`` gives the label set of the ``em-cells``
test set, whose sections have no extracellular class: extracellular space counts as class 0
(cytoplasm, i.e. "neither membrane nor organelle") there.

``contrast="tem"`` is the narrow baseline: the same labels and spatial augmentation, but one
fixed TEM-like look (:data:`TEM`: class brightness +-10 % per sample, one texture, blur, drift
and noise level) instead of randomized ones.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from synthzoo.generators.engine.base import Generator, Geometry, Params, State, Step, as_size, draw_seed, seeded
from synthzoo.generators.engine.intensity import BiasField, Blur, Noise, Normalize, PoissonNoise, blur
from synthzoo.generators.engine.samplers import LogUniform, SamplerLike, as_sampler
from synthzoo.generators.physics.shapes import paint_ellipsoids, smooth_noise, voronoi, warp_coords
from synthzoo.generators.engine.spatial import RandomSpatial

EXTRACELLULAR, MEMBRANE, MITOCHONDRION, VESICLE, CYTOPLASM = range(5)
LABEL_NAMES = ("extracellular", "membrane", "mitochondrion", "vesicle", "cytoplasm")
#: Target label sets: every class, or the ``em-cells`` test set's (extracellular merged into 0).
TARGETS = {"all": (LABEL_NAMES, (0, 1, 2, 3, 4)),
           "cytoplasm-membrane-mitochondrion-vesicle":
               (("cytoplasm", "membrane", "mitochondrion", "vesicle"), (0, 1, 2, 3, 0))}
#: The one fixed look of the narrow baseline (``contrast="tem"``): bright cytoplasm, dark
#: membranes; class means +-10 % per sample, every other intensity option fixed.
TEM = {"membrane_mean": (0.135, 0.165), "cytoplasm_mean": (0.63, 0.77),
       "mitochondrion_mean": (0.315, 0.385), "vesicle_mean": (0.45, 0.55),
       "extracellular_mean": (0.765, 0.935), "stds": 0.02, "texture": 0.15, "blur_sigma": 0.5,
       "thickness": 2.0, "drift": 0.05, "bias_std": 0.1, "dose": 300.0, "noise_std": 0.02}
CONTRASTS = ("random", "tem")


class ClassIntensity(Step):
    """Image from labels with a separate mean range per intensity class:
    ``N(mean_k, std_k)``, ``mean_k ~ means[k]``, ``std_k ~ stds`` drawn per sample.

    ``classes`` maps generation labels to intensity classes (default: identity)."""

    def __init__(self, *, means: Sequence[SamplerLike], stds: SamplerLike = (0.0, 0.05),
                 classes: Sequence[int] | None = None) -> None:
        super().__init__()
        self.means = [as_sampler(m, name=f"means[{k}]") for k, m in enumerate(means)]
        self.stds = as_sampler(stds, name="stds")
        self.classes = None if classes is None else [int(c) for c in classes]
        if self.classes is not None and max(self.classes) >= len(self.means):
            raise ValueError(f"classes refers to class {max(self.classes)} but only "
                             f"{len(self.means)} mean ranges are given")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B = geom.batch
        means = torch.stack([m.sample((B,), generator=generator) for m in self.means], 1)
        stds = self.stds.sample((B, len(self.means)), generator=generator).abs()
        return {"means": means, "stds": stds, "seed": draw_seed(generator)}

    def apply(self, state: State, /, *, params: Params) -> State:
        idx = state.labels
        if self.classes is not None:
            idx = torch.as_tensor(self.classes, device=idx.device)[idx]
        B = idx.shape[0]
        flat = idx.view(B, -1)
        mean = torch.gather(params["means"], 1, flat)
        std = torch.gather(params["stds"], 1, flat)
        g = seeded(params["seed"], idx.device)
        noise = torch.randn(mean.shape, generator=g, device=idx.device)
        return State(state.labels, torch.addcmul(mean, std, noise).view(idx.shape), state.spacing)


class SectionThickness(Step):
    """Section-thickness anisotropy (3D only; identity in 2D): blur along the section axis 0
    with sigma ``0.5 x thickness`` and resample to ``thickness``-voxel sections and back."""

    def __init__(self, *, thickness: SamplerLike = (1.0, 5.0)) -> None:
        super().__init__()
        self.thickness = as_sampler(thickness, name="thickness")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        t = self.thickness.sample((geom.batch,), generator=generator).abs().clamp_min(1.0)
        return {"thickness": t if geom.dims == 3 else torch.ones_like(t)}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        if img.dim() != 5:
            return state
        B, Z = img.shape[0], img.shape[2]
        t = params["thickness"]
        sigma = torch.zeros((B, 3), device=img.device)
        sigma[:, 0] = 0.5 * t * (t > 1)
        img = blur(img, sigma)
        out = []
        for b in range(B):
            x = img[b : b + 1]
            low = max(2, int(round(Z / float(t[b]))))
            if low < Z:
                x = F.interpolate(x, size=(low, *x.shape[3:]), mode="trilinear", align_corners=True)
                x = F.interpolate(x, size=img.shape[2:], mode="trilinear", align_corners=True)
            out.append(x)
        return State(state.labels, torch.cat(out), state.spacing)


class BrightnessDrift(Step):
    """Charging / brightness drift along axis 0 (between sections in 3D, across scan lines
    in 2D): ``x * exp(a(z)) + m * o(z)`` with ``a``, ``o`` smooth random curves of std ``std``
    varying over ``length`` voxels and ``m`` the sample's mean intensity."""

    def __init__(self, *, std: SamplerLike = (0.0, 0.25), length: SamplerLike = (4.0, 32.0)) -> None:
        super().__init__()
        self.std = as_sampler(std, name="std")
        self.length = as_sampler(length, name="length")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, n = geom.batch, geom.spatial[0]
        std = self.std.sample((B, 1, 1), generator=generator).abs()
        curves = []
        for _ in range(B):
            cell = float(self.length.sample((), generator=generator).abs().clamp_min(1.0))
            curves.append(smooth_noise((n,), cell=cell, channels=2, generator=generator))
        return {"curves": torch.stack(curves) * std}  # (B, 2, n): log-gain, offset

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        shape = (img.shape[0], 1, img.shape[2]) + (1,) * (img.dim() - 3)
        gain = torch.exp(params["curves"][:, 0]).view(shape)
        level = img.mean(dim=tuple(range(1, img.dim())), keepdim=True)  # per sample
        offset = params["curves"][:, 1].view(shape) * level
        return State(state.labels, img * gain + offset, state.spacing)


def _unravel(flat: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Flat indices ``(N,)`` -> voxel coordinates ``float32 (N, d)``."""
    out = []
    for n in reversed(size):
        out.append(flat % n)
        flat = flat // n
    return torch.stack(out[::-1], 1).float()


class ElectronMicroscopy(Generator):
    """Electron microscopy of cells (warped Voronoi cells, dark membranes, organelles), 2D and 3D."""

    name = "em"
    domain = "em"  # the domain of the em-cells test set
    spacing_unit = "um"
    dims = (2, 3)
    description = ("Electron microscopy: Voronoi cells, dark membranes, organelles, "
                   "section blur, drift, noise")
    preview_planes = ((0, "xy"), (1, "xz"))

    def __init__(
        self,
        *,
        out_size: int | Sequence[int] | None = None,
        spacing: float = 1.0,
        n_cytoplasm: int = 4,
        cell_size: SamplerLike = (14.0, 40.0),
        membrane: SamplerLike = (0.6, 2.5),
        organelles: SamplerLike = (0.0, 3.0),
        rotation: SamplerLike = 10.0,
        scaling: SamplerLike = (0.7, 0.86),
        svf_std: SamplerLike = (0.0, 3.0),
        membrane_mean: SamplerLike = (0.0, 0.3),
        cytoplasm_mean: SamplerLike = (0.45, 1.0),
        mitochondrion_mean: SamplerLike = (0.2, 0.6),
        vesicle_mean: SamplerLike = (0.3, 0.9),
        extracellular_mean: SamplerLike = (0.5, 1.0),
        stds: SamplerLike = (0.0, 0.05),
        texture: SamplerLike = (0.05, 0.35),
        texture_scale: float = 0.3,
        blur_sigma: SamplerLike = (0.0, 1.0),
        thickness: SamplerLike = (1.0, 5.0),
        drift: SamplerLike = (0.0, 0.25),
        bias_std: SamplerLike = (0.0, 0.3),
        dose: SamplerLike = LogUniform(10.0, 2000.0),
        noise_std: SamplerLike = (0.0, 0.06),
        targets: str = "all",
        contrast: str = "random",
    ) -> None:
        if n_cytoplasm < 1:
            raise ValueError(f"n_cytoplasm must be >= 1, got {n_cytoplasm}")
        if targets not in TARGETS:
            raise ValueError(f"unknown EM targets {targets!r}; valid: {', '.join(TARGETS)}")
        if contrast not in CONTRASTS:
            raise ValueError(f"unknown contrast {contrast!r}; valid: {', '.join(CONTRASTS)}")
        if contrast == "tem":
            t = TEM
            membrane_mean, cytoplasm_mean = t["membrane_mean"], t["cytoplasm_mean"]
            mitochondrion_mean, vesicle_mean = t["mitochondrion_mean"], t["vesicle_mean"]
            extracellular_mean, stds, texture = t["extracellular_mean"], t["stds"], t["texture"]
            blur_sigma, thickness, drift = t["blur_sigma"], t["thickness"], t["drift"]
            bias_std, dose, noise_std = t["bias_std"], t["dose"], t["noise_std"]
        n_labels = CYTOPLASM + n_cytoplasm
        means = [extracellular_mean, membrane_mean, mitochondrion_mean, vesicle_mean]
        means += [cytoplasm_mean] * n_cytoplasm
        steps = [
            RandomSpatial(out_size=out_size, rotation=rotation, scaling=scaling, shear=0.02,
                          svf_std=svf_std, svf_scale=1 / 16),
            ClassIntensity(means=means, stds=stds),
            BiasField(std=texture, scale=texture_scale),
            Blur(sigma=blur_sigma),
            SectionThickness(thickness=thickness),
            BrightnessDrift(std=drift),
            BiasField(std=bias_std, scale=0.05),
            Normalize(),
            PoissonNoise(peak=dose),
            Noise(std=noise_std),
            Normalize(),
        ]
        names, classes = TARGETS[targets]
        lut = list(classes) + [classes[CYTOPLASM]] * (n_cytoplasm - 1)
        super().__init__(steps, n_labels=n_labels, label_names=names, target_lut=lut,
                         spacing=spacing)
        self.n_cytoplasm = int(n_cytoplasm)
        self.targets = targets
        self.contrast = contrast
        self.cell_size = as_sampler(cell_size, name="cell_size")
        self.membrane = as_sampler(membrane, name="membrane")
        self.organelles = as_sampler(organelles, name="organelles")

    def default_labels(self, *, batch: int = 1, size: int | Sequence[int] = 64, dims: int = 3,
                       generator: torch.Generator) -> torch.Tensor:
        """Warped Voronoi cells, ``int64 (B, 1, *size)``.

        Cell size ``cell_size`` voxels (seed count = volume / size^d); walls bent by a smooth
        warp; membranes where the distance to a wall is below the half-thickness
        ``membrane``; each cell gets one of ``n_cytoplasm`` cytoplasm labels (about 5% become
        extracellular space); ``organelles`` mitochondria per cell on average (elongated
        ellipsoids) and twice as many vesicles, painted inside cytoplasm."""
        size = as_size(size, dims)
        dev = generator.device
        vol = float(torch.tensor(size, dtype=torch.float64).prod())
        out = torch.zeros((batch, 1, *size), dtype=torch.long, device=dev)
        for b in range(batch):
            cell = float(self.cell_size.sample((), generator=generator).abs().clamp_min(4.0))
            n_cells = int(max(2, min(4096, round(vol / cell**dims))))
            coords = warp_coords(size, amplitude=0.12 * cell, cell=cell, generator=generator)
            ids, wall = voronoi(size, n_seeds=n_cells, coords=coords, generator=generator)
            kind = torch.randint(CYTOPLASM, CYTOPLASM + self.n_cytoplasm, (n_cells,),
                                 generator=generator, device=dev)
            kind[torch.rand((n_cells,), generator=generator, device=dev) < 0.05] = EXTRACELLULAR
            lab = kind[ids]
            half = float(self.membrane.sample((), generator=generator).abs().clamp_min(0.3))
            lab[wall < half] = MEMBRANE
            rate = float(self.organelles.sample((), generator=generator).abs())
            inside = (lab >= CYTOPLASM) & (wall > half + 1)
            for value, count, r_lo, r_hi, stretch in (
                (MITOCHONDRION, rate * n_cells, 0.06, 0.12, (1.5, 4.0)),
                (VESICLE, 2 * rate * n_cells, 0.025, 0.05, (1.0, 1.2)),
            ):
                n = int(count)
                if n == 0:
                    continue
                pick = torch.nonzero(inside.flatten()).flatten()
                if len(pick) == 0:
                    break
                pick = pick[torch.randint(len(pick), (n,), generator=generator, device=dev)]
                centres = _unravel(pick, size)
                r = torch.rand((n, 1), generator=generator, device=dev) * (r_hi - r_lo) + r_lo
                radii = (r * cell).clamp_min(1.0).expand(n, dims).clone()
                lo, hi = stretch
                radii[:, 0] *= lo + (hi - lo) * torch.rand((n,), generator=generator, device=dev)
                paint_ellipsoids(lab, centres, radii, value, overwrite=True, mask=inside,
                                 generator=generator)
            out[b, 0] = lab
        return out

    def config(self) -> dict:
        cfg = super().config()
        cfg.update(n_cytoplasm=self.n_cytoplasm, targets=self.targets, contrast=self.contrast,
                   labels={"cell_size": self.cell_size.to_dict(), "membrane": self.membrane.to_dict(),
                           "organelles": self.organelles.to_dict()})
        return cfg
