"""``oct-retina``: retinal optical coherence tomography B-scans (2D) and volumes (3D).

Label maps: a layered retina over the choroid and sclera.  The inner retina (nerve fibre to
outer plexiform layers) is split into 1-4 sublayers, the outer retina (outer nuclear layer to
retinal pigment epithelium) into 1-3 and the choroid/sclera into 1-2, with random thickness,
curvature (or a flattened scan), tilt, smooth undulation and a foveal dip of the inner retina;
retinal vessels are small tubes in the inner retina.

Image formation (the OCT signal model of Schmitt, Xiang & Yung, "Speckle in optical coherence
tomography", J Biomed Opt 4:95, 1999): a random reflectivity per layer (SynthSeg-style
randomized contrast, Billot et al., MedIA 2023), shadows cast below vessels, depth attenuation
(Beer-Lambert through tissue, plus the sensitivity roll-off of spectral-domain systems),
a complex field ``h * (sqrt(R) n)`` with ``n`` circular complex Gaussian and ``h`` a Gaussian
coherence/focal PSF of random axial and lateral width, whose intensity is fully developed
speckle (exponential statistics) averaged over a random number of frames; a detector noise
floor at a random signal-to-noise ratio, log compression over a random dynamic range.

Layout: depth (the A-scan axis) is the first spatial axis: ``(B, 1, Z, X)`` in 2D and
``(B, 1, Z, Y, X)`` in 3D.  Target labels: 0 vitreous, 1 inner retina (with vessels),
2 outer retina, 3 choroid and sclera.

``contrast="fixed"`` is the narrow baseline: the same labels and geometry, one fixed device
(:data:`FIXED`: one reflectivity per layer, one PSF, four averaged frames, one SNR).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from synthzoo.generators.engine.base import (Generator, Geometry, Params, State, Step, as_size,
                                             draw_seed, seeded)
from synthzoo.generators.engine.intensity import FixedContrast, GaussianMixture, Normalize, blur
from synthzoo.generators.engine.samplers import SamplerLike, Uniform, as_sampler
from synthzoo.generators.engine.spatial import RandomSpatial

#: generation labels: vitreous, inner sublayers 1-4, outer 5-7, choroid/sclera 8-9, vessel 10
VITREOUS, INNER, OUTER, CHOROID, VESSEL = 0, (1, 2, 3, 4), (5, 6, 7), (8, 9), 10
N_LABELS = 11
TARGET_LUT = (0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 1)
LABEL_NAMES = ("vitreous", "inner-retina", "outer-retina", "choroid-sclera")
#: reflectivity of the narrow baseline's one device, per generation label (a typical
#: spectral-domain macular scan: bright nerve fibre, plexiform layers, EZ and RPE)
FIXED_TABLE = (0.02, 0.85, 0.45, 0.2, 0.6, 0.15, 0.7, 1.0, 0.5, 0.35, 0.5)
FIXED = {"axial": 1.0, "lateral": 1.5, "looks": 4.0, "snr_db": 30.0, "attenuation": 1.0,
         "rolloff": 0.5, "dynamic_range": 40.0, "shadow": 0.7}
CONTRASTS = ("random", "fixed")


def _bview(t: torch.Tensor, d: int) -> torch.Tensor:
    return t.view(-1, *([1] * (d + 1)))


class VesselShadow(Step):
    """Retinal vessels absorb the beam: every voxel below a vessel (along depth, axis 0) is
    multiplied by ``1 - strength`` (strength drawn per sample)."""

    def __init__(self, *, strength: SamplerLike = (0.3, 0.95), label: int = VESSEL) -> None:
        super().__init__()
        self.strength = as_sampler(strength, name="strength")
        self.label = int(label)

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        return {"strength": self.strength.sample((geom.batch,), generator=generator).clamp(0, 1)}

    def apply(self, state: State, /, *, params: Params) -> State:
        vessel = (state.labels == self.label).to(state.image.dtype)
        below = vessel.cummax(dim=2).values - vessel  # voxels under a vessel, not the vessel itself
        s = _bview(params["strength"], state.image.dim() - 2)
        return State(state.labels, state.image * (1 - s * below), state.spacing)


class DepthAttenuation(Step):
    """Signal decay with depth (axis 0): Beer-Lambert ``exp(-2 mu t)`` with ``t`` the tissue
    (label > 0) crossed above each voxel as a fraction of the depth, times the roll-off
    ``exp(-rolloff z^2)`` of spectral-domain systems (``z`` the depth fraction)."""

    def __init__(self, *, attenuation: SamplerLike = (0.0, 3.0), rolloff: SamplerLike = (0.0, 2.0)) -> None:
        super().__init__()
        self.attenuation = as_sampler(attenuation, name="attenuation")
        self.rolloff = as_sampler(rolloff, name="rolloff")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B = geom.batch
        return {"attenuation": self.attenuation.sample((B,), generator=generator).abs(),
                "rolloff": self.rolloff.sample((B,), generator=generator).abs()}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        d, D = img.dim() - 2, img.shape[2]
        tissue = (state.labels != VITREOUS).to(img.dtype).cumsum(2) / D
        z = torch.arange(D, device=img.device, dtype=img.dtype).view(1, 1, D, *([1] * (d - 1))) / D
        mu, ro = _bview(params["attenuation"], d), _bview(params["rolloff"], d)
        return State(state.labels, img * torch.exp(-2 * mu * tissue - ro * z * z), state.spacing)


class Speckle(Step):
    """Coherent image formation: the intensity of ``h * (sqrt(R) n)`` (``n`` circular complex
    Gaussian, ``h`` a Gaussian PSF of ``axial`` x ``lateral`` voxels std), averaged over
    ``looks`` independent frames (1 = fully developed speckle, exponential statistics), plus
    a complex detector noise floor at ``snr_db`` below the mean signal."""

    def __init__(self, *, axial: SamplerLike = (0.5, 2.5), lateral: SamplerLike = (0.7, 3.0),
                 looks: SamplerLike = (1.0, 12.0), snr_db: SamplerLike = (10.0, 40.0),
                 max_looks: int = 12) -> None:
        super().__init__()
        self.axial = as_sampler(axial, name="axial")
        self.lateral = as_sampler(lateral, name="lateral")
        self.looks = as_sampler(looks, name="looks")
        self.snr_db = as_sampler(snr_db, name="snr_db")
        self.max_looks = int(max_looks)

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B = geom.batch
        looks = self.looks.sample((B,), generator=generator).round().clamp(1, self.max_looks)
        return {"axial": self.axial.sample((B,), generator=generator).abs(),
                "lateral": self.lateral.sample((B,), generator=generator).abs(),
                "looks": looks, "snr_db": self.snr_db.sample((B,), generator=generator),
                "seed": draw_seed(generator)}

    def apply(self, state: State, /, *, params: Params) -> State:
        R = state.image.clamp_min(0)
        B, d = R.shape[0], R.dim() - 2
        sigma = params["lateral"].view(B, 1).expand(B, d).clone()
        sigma[:, 0] = params["axial"]
        g = seeded(params["seed"], R.device)
        amp = R.sqrt()
        looks = params["looks"].to(R.device)
        total = torch.zeros_like(R)
        for k in range(int(looks.max())):
            n = torch.randn((2, *R.shape), generator=g, device=R.device)
            field = blur(torch.cat([amp * n[0], amp * n[1]], 1), sigma)
            inten = field[:, :1].square() + field[:, 1:].square()
            total = total + inten * _bview((looks > k).to(R.dtype), d)
        inten = total / _bview(looks, d)
        mean = inten.flatten(1).mean(1).clamp_min(1e-12)
        floor = _bview(mean * 10 ** (-params["snr_db"].to(R.device) / 10), d)
        n = torch.randn((2, *R.shape), generator=g, device=R.device)
        noise = (n[0].square() + n[1].square()) / 2  # exponential, mean 1 (one frame)
        return State(state.labels, inten + floor * noise, state.spacing)


class LogCompression(Step):
    """Display in decibels: ``clamp(10 log10(I / max) + DR, 0) / DR`` with a random dynamic
    range ``DR`` (dB)."""

    def __init__(self, *, dynamic_range: SamplerLike = (25.0, 50.0)) -> None:
        super().__init__()
        self.dynamic_range = as_sampler(dynamic_range, name="dynamic_range")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        return {"dynamic_range": self.dynamic_range.sample((geom.batch,), generator=generator).abs().clamp_min(1.0)}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image.clamp_min(1e-20)
        d = img.dim() - 2
        peak = _bview(img.flatten(1).amax(1), d)
        dr = _bview(params["dynamic_range"].to(img.device), d)
        db = 10 * torch.log10(img / peak)
        return State(state.labels, ((db + dr).clamp_min(0) / dr), state.spacing)


class RetinalOCT(Generator):
    """Retinal OCT B-scans and volumes: layered retina, fovea, vessel shadows, speckle."""

    name = "oct-retina"
    domain = "oct"
    dims = (2, 3)
    description = ("Retinal OCT: random layers, fovea, vessel shadows, depth attenuation, "
                   "speckle, noise floor, log display")
    preview_planes = ((1, "B-scan"), (0, "en face"))

    def __init__(
        self,
        *,
        out_size: int | Sequence[int] | None = None,
        spacing: float = 1.0,
        rotation: SamplerLike = 4.0,
        scaling: SamplerLike = (0.75, 0.95),
        svf_std: SamplerLike = (0.0, 1.5),
        reflectivity: SamplerLike = (0.0, 1.0),
        reflectivity_std: SamplerLike = (0.0, 0.05),
        shadow: SamplerLike = (0.3, 0.95),
        attenuation: SamplerLike = (0.0, 3.0),
        rolloff: SamplerLike = (0.0, 2.0),
        axial: SamplerLike = (0.5, 2.5),
        lateral: SamplerLike = (0.7, 3.0),
        looks: SamplerLike = (1.0, 12.0),
        snr_db: SamplerLike = (10.0, 40.0),
        dynamic_range: SamplerLike = (25.0, 50.0),
        p_flat: float = 0.3,
        p_fovea: float = 0.7,
        max_vessels: int = 6,
        contrast: str = "random",
    ) -> None:
        if contrast not in CONTRASTS:
            raise ValueError(f"unknown contrast {contrast!r}; valid: {', '.join(CONTRASTS)}")
        for k, p in (("p_flat", p_flat), ("p_fovea", p_fovea)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{k} is a probability in [0, 1], got {p}")
        if contrast == "fixed":
            f = FIXED
            shadow, attenuation, rolloff = f["shadow"], f["attenuation"], f["rolloff"]
            axial, lateral, looks, snr_db = f["axial"], f["lateral"], f["looks"], f["snr_db"]
            dynamic_range = f["dynamic_range"]
            layers: Step = FixedContrast(table=FIXED_TABLE, jitter=0.1, stds=(0.0, 0.02))
        else:
            layers = GaussianMixture(means=reflectivity, stds=reflectivity_std)
        steps = [
            RandomSpatial(out_size=out_size, rotation=rotation, scaling=scaling, shear=0.02,
                          svf_std=svf_std, svf_scale=1 / 8),
            layers,
            VesselShadow(strength=shadow),
            DepthAttenuation(attenuation=attenuation, rolloff=rolloff),
            Speckle(axial=axial, lateral=lateral, looks=looks, snr_db=snr_db),
            LogCompression(dynamic_range=dynamic_range),
            Normalize(),
        ]
        super().__init__(steps, n_labels=N_LABELS, label_names=LABEL_NAMES, target_lut=TARGET_LUT,
                         spacing=spacing)
        self.contrast = contrast
        self.p_flat = float(p_flat)
        self.p_fovea = float(p_fovea)
        self.max_vessels = int(max_vessels)

    def default_labels(self, *, batch: int = 1, size: int | Sequence[int] = 64, dims: int = 3,
                       generator: torch.Generator) -> torch.Tensor:
        """Layered retinas, ``int64 (B, 1, *size)`` with depth first (see the module docstring)."""
        size = as_size(size, dims)
        out = torch.empty((batch, 1, *size), dtype=torch.long, device=generator.device)
        for b in range(batch):
            out[b, 0] = retina_labels(size, generator=generator, p_flat=self.p_flat,
                                      p_fovea=self.p_fovea, max_vessels=self.max_vessels)
        return out

    def config(self) -> dict:
        cfg = super().config()
        cfg.update(contrast=self.contrast, p_flat=self.p_flat, p_fovea=self.p_fovea,
                   max_vessels=self.max_vessels)
        return cfg


def _u(generator: torch.Generator, lo: float, hi: float, shape: Sequence[int] = ()) -> torch.Tensor:
    return Uniform(lo, hi).sample(tuple(shape), generator=generator)


def _smooth(lat: torch.Tensor, amp: float, generator: torch.Generator, waves: int = 3) -> torch.Tensor:
    """A smooth random function over the lateral grid ``lat (m, *lateral)`` in [-1, 1]."""
    m = lat.shape[0]
    out = torch.zeros(lat.shape[1:], device=lat.device)
    for _ in range(waves):
        k = _u(generator, 0.5, 3.0, (m,)).view(m, *([1] * (lat.dim() - 1)))
        phase = float(_u(generator, 0, 2 * math.pi))
        a = float(_u(generator, -1, 1)) * amp / waves
        out = out + a * torch.cos(math.pi * (k * lat).sum(0) + phase)
    return out


def retina_labels(size: Sequence[int], *, generator: torch.Generator, p_flat: float = 0.3,
                  p_fovea: float = 0.7, max_vessels: int = 6) -> torch.Tensor:
    """One layered retina ``int64 (*size)``, depth first.  Thicknesses are fractions of the
    depth; sublayer counts, thicknesses, curvature, fovea and vessels are drawn from
    ``generator``."""
    dev = generator.device
    D, lateral = int(size[0]), tuple(int(n) for n in size[1:])
    m = len(lateral)
    axes = [torch.linspace(-1, 1, n, device=dev) for n in lateral]
    lat = torch.stack(torch.meshgrid(*axes, indexing="ij"), 0)  # (m, *lateral)
    r2 = lat.square().sum(0)

    flat = float(_u(generator, 0, 1)) < p_flat
    curve = 0.0 if flat else float(_u(generator, -0.05, 0.25))
    tilt = torch.zeros(lat.shape[1:], device=dev) if flat else \
        (_u(generator, -0.08, 0.08, (m,)).view(m, *([1] * m)).to(dev) * lat).sum(0)
    rpe = float(_u(generator, 0.35, 0.7)) + curve * r2 + tilt + (0 if flat else _smooth(lat, 0.04, generator))
    outer = float(_u(generator, 0.08, 0.22)) * (1 + _smooth(lat, 0.15, generator))
    inner = float(_u(generator, 0.08, 0.28)) * (1 + _smooth(lat, 0.3, generator))
    if float(_u(generator, 0, 1)) < p_fovea:
        c = _u(generator, -0.5, 0.5, (m,)).view(m, *([1] * m)).to(dev)
        w = float(_u(generator, 0.12, 0.35))
        dip = float(_u(generator, 0.6, 1.0))
        inner = inner * (1 - dip * torch.exp(-(lat - c).square().sum(0) / (2 * w * w)))
        outer = outer * (1 + 0.2 * torch.exp(-(lat - c).square().sum(0) / (2 * w * w)))  # thicker ONL
    choroid = float(_u(generator, 0.1, 0.35)) * (1 + _smooth(lat, 0.2, generator))

    # boundaries (fractions of depth), top to bottom, with the id of the layer below each
    top = rpe - outer - inner
    bounds, ids = [top], []
    for group, total, start in ((INNER, inner, top), (OUTER, outer, top + inner), (CHOROID[:1], choroid, rpe)):
        n = int(torch.randint(1, len(group) + 1, (), generator=generator, device=dev))
        frac = _u(generator, 0.3, 1.0, (n,)).to(dev)
        frac = frac / frac.sum()
        edge = start
        for k in range(n):
            ids.append(group[k])
            edge = edge + total * frac[k]
            bounds.append(edge)
    ids.append(CHOROID[1])  # sclera below the choroid
    b = torch.stack(bounds, 0) * D  # (K, *lateral)
    z = torch.arange(D, device=dev, dtype=torch.float32).view(1, D, *([1] * m))
    index = (z >= b.unsqueeze(1)).sum(0)  # (D, *lateral): 0 above the retina
    lut = torch.tensor([VITREOUS] + ids, device=dev)
    labels = lut[index.clamp_max(len(ids))]

    # vessels: tubes (3D) or disks (2D) in the upper inner retina
    n_v = int(torch.randint(0, max_vessels + 1, (), generator=generator, device=dev))
    zz = z[0]
    for _ in range(n_v):
        p0 = _u(generator, -0.9, 0.9, (m,)).view(m, *([1] * m)).to(dev)
        if m == 1:
            dist = (lat - p0).abs()[0]
        else:
            ang = float(_u(generator, 0, math.pi))
            nrm = torch.tensor([math.cos(ang), math.sin(ang)], device=dev).view(2, 1, 1)
            dist = ((lat - p0) * nrm).sum(0).abs()
        rad = float(_u(generator, 0.01, 0.035)) * D
        centre = (top + inner * float(_u(generator, 0.1, 0.5))) * D
        half = 2 / max(max(lateral) - 1, 1)  # lateral grid step in [-1, 1] units
        dlat = dist / half  # in voxels along the lateral axes
        inside = dlat.unsqueeze(0).square() + (zz - centre.unsqueeze(0)).square() <= rad * rad
        labels = torch.where(inside, torch.full_like(labels, VESSEL), labels)
    return labels
