"""``micro-ct``: X-ray micro-tomography of porous and fibrous materials.

Label maps are made here, with no data: granular packs (rounded grains with pores between
them, partly cemented by a matrix phase, a few dense mineral inclusions), porous solids (a
matrix with spherical pores and inclusions, e.g. foams, additively manufactured parts) and
fibre composites (fibres in a matrix, aligned or felt-like, with voids); optionally
(``structures=`` naming ``field``) pores as the excursion set of a Gaussian random field, the
classic model of sandstone and carbonate pore space, connected and down to the voxel size.  Grains and pores come
from a jittered-grid Voronoi tessellation (each voxel checks the seeds of its own and the
neighbouring cells; Okabe et al., *Spatial Tessellations*, 2000), grains being the part of a
cell within a random radius of its seed and away from the cell boundary, as in random
packings used to model sandstones (Øren & Bakke, Transp. Porous Media 2002).  Samples are
often cylindrical cores in air: with probability ``p_cylinder`` everything outside a random
cylinder about the rotation axis is pore (air); its radius (``cylinder_radius``, a fraction of
half the field of view, before the zoom-in of step 1) decides how often the core's edge and the
air around it are in view.

Image formation (Kak & Slaney, *Principles of Computerized Tomographic Imaging*, 1988;
Ketcham & Carlson, "Acquisition, optimization and interpretation of X-ray computed
tomographic imagery", Computers & Geosciences 2001; Boin & Haibel, Opt. Express 2006 for
rings), domain-randomised:

1. random zoom-in (scaling < 1, so no empty border comes in), shear and warp
   (:class:`~synthzoo.generators.engine.spatial.RandomSpatial`; no
   rotation by default, since it would bring empty corners in and the label maps have random
   orientations already);
2. attenuation per phase (:class:`Attenuation`), drawn around typical ranges and, with
   probability ``p_random_contrast``, uniformly for every phase (any contrast order);
3. blur from the source spot and detector (partial volume);
4. beam-hardening cupping and streaks (:mod:`synthzoo.generators.physics.tomography`);
5. Poisson photon noise in transmission (:class:`PhotonNoise`): counts
   ``~ Poisson(I0 exp(-mu L))``, attenuation re-estimated as ``-log(counts / I0) / L``, so
   dense phases are noisier; optionally (``stationary_noise``, a std or range; default 0,
   none) stationary Gaussian noise: filtered back-projection spreads the noise of every ray
   over the whole slice, so a reconstructed image is about as noisy in its pores as in its
   solid (Kak & Slaney, ch. 5), which the per-voxel photon noise alone never shows;
6. ring artifacts about the rotation axis; reconstruction blur that correlates the noise;
   optionally (``recon_noise``, a std or range; default 0, none) the stationary noise of a
   filtered back-projection, white noise shaped in each plane to the ramp-times-window power
   spectrum (:class:`~synthzoo.generators.physics.tomography.ReconNoise`; ``recon_noise_cutoff``
   the window's cut-off, 1 a Hann window): mottle a few voxels across, of the size of the
   finest pores, which white or blurred noise never shows; min-max normalisation.

Generation labels: 0 pore (or air), 1 grain, 2 matrix, 3 fibre, 4 inclusion (dense phase).
The target is every phase (``targets="phases"``) or pore / solid / inclusion
(``targets="pore-matrix-inclusion"``, grains, matrix and fibres being one solid class).

``contrast="fixed"`` is the narrow baseline: the same labels and spatial augmentation, but one
fixed scanner (:data:`FIXED`: typical attenuation per phase +-10 % per sample, never a random
contrast order, one blur, cupping, streak, photon-noise and ring level) instead of randomized
ones.
"""

from __future__ import annotations

import itertools
import math
from typing import Sequence

import torch

from synthzoo.generators.engine.base import Generator, Geometry, Params, State, Step, as_size, draw_seed, seeded
from synthzoo.generators.engine.intensity import Blur, GaussianMixture, Noise, Normalize, blur, smooth_field
from synthzoo.generators.engine.samplers import LogUniform, SamplerLike, as_sampler
from synthzoo.generators.engine.spatial import RandomSpatial
from synthzoo.generators.physics.tomography import Cupping, ReconNoise, RingArtifact, Streaks, plane_coords

LABEL_NAMES = ("pore", "grain", "matrix", "fibre", "inclusion")
PORE, GRAIN, MATRIX, FIBRE, INCLUSION = range(5)
#: The default structure families; ``field`` (below) is drawn only where ``structures=`` names
#: it, so that the recipes written before it existed draw as they did.
STRUCTURES = ("granular", "porous", "fibres")
#: Target label sets: every phase, or pore / solid (grain, matrix, fibre) / dense inclusion, the
#: labels of the ``micro-ct-pores`` test set.
TARGETS = {"phases": (LABEL_NAMES, (0, 1, 2, 3, 4)),
           "pore-matrix-inclusion": (("pore", "matrix", "inclusion"), (0, 1, 1, 1, 2))}
#: Typical attenuation ranges per phase (arbitrary units, ~1/cm at a lab-source energy).
PHASE_RANGES = ((0.0, 0.08), (0.35, 0.7), (0.15, 0.45), (0.2, 0.8), (0.9, 2.0))
#: The one fixed scanner of the narrow baseline (``contrast="fixed"``): attenuation per phase
#: +-10 % per sample (mid-range of :data:`PHASE_RANGES`), every artifact at one fixed level.
FIXED = {"phases": ((0.036, 0.044), (0.47, 0.57), (0.27, 0.33), (0.45, 0.55), (1.26, 1.54)),
         "p_random_contrast": 0.0, "texture": 0.02, "blur": 0.5, "cupping": 0.1,
         "streak_amplitude": 0.1, "p_streaks": 1.0, "i0": 1000.0, "path_length": 1.0,
         "ring_amplitude": 0.05, "p_rings": 1.0, "recon_blur": 0.5}
CONTRASTS = ("random", "fixed")
_FIXED_CUPPING = {"prob": 1.0, "radius": 1.0, "shift": 0.0}


# --------------------------------------------------------------------------- label maps
def _uniform(shape, lo, hi, g: torch.Generator) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(tuple(shape), generator=g, device=g.device)


def voronoi(size: Sequence[int], cell: float, *, generator: torch.Generator,
            stretch: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Jittered-grid Voronoi tessellation of a ``size`` grid with one seed per cube of
    ``cell`` voxels (seed uniform in its cube).  ``stretch`` ``(d,)`` scales the axes
    (elongated cells).  Returns ``(d1, d2, seed_id)``, each ``(*size)``: the distance to the
    nearest and second-nearest seed (voxels) and the nearest seed's index into
    ``n_seeds = seed_id.max() + 1`` (flattened cell index).  With ``stretch``, distances are
    measured on the stretched grid."""
    g, dev = generator, generator.device
    d = len(size)
    st = torch.ones(d, device=dev) if stretch is None else stretch.to(dev)
    ext = [float(n) / float(s) for n, s in zip(size, st.tolist())]  # extent in cell space
    cells = [int(math.ceil(e / cell)) + 2 for e in ext]  # one padding cell each side
    seeds = (torch.stack(torch.meshgrid(*[torch.arange(c, device=dev, dtype=torch.float32)
                                          for c in cells], indexing="ij"), -1)
             + torch.rand((*cells, d), generator=g, device=dev) - 1) * cell
    axes = [torch.arange(n, device=dev, dtype=torch.float32) / s for n, s in zip(size, st.tolist())]
    x = torch.meshgrid(*axes, indexing="ij")  # d tensors (*size), in cell space
    home = [(xi / cell).floor().long() + 1 for xi in x]
    strides = [math.prod(cells[i + 1:]) for i in range(d)]
    home_flat = sum(h * s for h, s in zip(home, strides))
    seed_axes = seeds.reshape(-1, d).unbind(-1)
    d1 = torch.full(tuple(size), float("inf"), device=dev)
    d2 = d1.clone()
    idx = torch.zeros(tuple(size), dtype=torch.long, device=dev)
    for off in itertools.product((-1, 0, 1), repeat=d):
        flat = home_flat + sum(o * s for o, s in zip(off, strides))
        dist = sum((xi - sa[flat]) ** 2 for xi, sa in zip(x, seed_axes))
        closer = dist < d1
        d2 = torch.where(closer, d1, torch.minimum(d2, dist))
        idx = torch.where(closer, flat, idx)
        d1 = torch.where(closer, dist, d1)
    d1, d2 = d1.sqrt(), d2.sqrt()
    return d1, d2, idx


def _threshold(field: torch.Tensor, fraction: float) -> torch.Tensor:
    """The value below which ``fraction`` of ``field`` lies (from at most ~100 k of its voxels)."""
    sub = field.flatten()[:: max(1, field.numel() // 100000)]
    return torch.quantile(sub, min(max(fraction, 0.0), 1.0))


def _smooth_mask(size, fraction: float, g: torch.Generator) -> torch.Tensor:
    """A smooth random region covering about ``fraction`` of the grid, ``bool (*size)``."""
    coarse = [max(2, n // 12) for n in size]
    field = smooth_field(torch.randn((1, 1, *coarse), generator=g, device=g.device), size)[0, 0]
    if fraction <= 0:
        return torch.zeros_like(field, dtype=torch.bool)
    return field > _threshold(field, 1 - fraction)  # clamped to [0, 1] there


def granular(size, g: torch.Generator) -> torch.Tensor:
    """Rounded grains with pores between them, part of the pore space cemented (matrix),
    a few grains dense (inclusion)."""
    cell = max(3.0, max(size) * float(LogUniform(0.04, 0.15).sample((), generator=g)))
    stretch = _uniform((len(size),), 0.75, 1.33, g)
    d1, d2, sid = voronoi(size, cell, generator=g, stretch=stretch)
    n = int(sid.max()) + 1
    radius = _uniform((n,), 0.45, 0.9, g)[sid] * cell
    gap = cell * float(_uniform((), 0.02, 0.2, g))
    is_grain = (d1 < radius) & (d2 - d1 > gap)
    dense = _uniform((n,), 0, 1, g)[sid] < float(_uniform((), 0.0, 0.08, g))
    lab = torch.full(tuple(size), PORE, dtype=torch.long, device=g.device)
    cement = float(_uniform((), 0.0, 0.8, g)) * float(torch.rand((), generator=g, device=g.device) < 0.6)
    lab[_smooth_mask(size, cement, g)] = MATRIX
    lab[is_grain] = GRAIN
    lab[is_grain & dense] = INCLUSION
    return lab


def porous(size, g: torch.Generator) -> torch.Tensor:
    """A matrix with spherical pores of random size and density, and dense inclusions."""
    cell = max(3.0, max(size) * float(LogUniform(0.04, 0.2).sample((), generator=g)))
    d1, _, sid = voronoi(size, cell, generator=g, stretch=_uniform((len(size),), 0.8, 1.25, g))
    n = int(sid.max()) + 1
    radius = _uniform((n,), 0.1, 0.6, g)[sid] * cell
    kind = _uniform((n,), 0, 1, g)[sid]
    p_pore = float(_uniform((), 0.3, 1.0, g))
    p_incl = float(_uniform((), 0.0, 0.1, g))
    lab = torch.full(tuple(size), MATRIX, dtype=torch.long, device=g.device)
    inside = d1 < radius
    lab[inside & (kind < p_pore)] = PORE
    lab[inside & (kind > 1 - p_incl)] = INCLUSION
    return lab


def fibres(size, g: torch.Generator) -> torch.Tensor:
    """Fibres in a matrix with voids.  Aligned (cross-sections are discs from a Voronoi
    packing, extruded along a random axis in 3D) or felt-like (random straight fibres)."""
    d, dev = len(size), g.device
    lab = torch.full(tuple(size), MATRIX, dtype=torch.long, device=dev)
    r = max(1.0, max(size) * float(LogUniform(0.008, 0.04).sample((), generator=g)))
    if float(torch.rand((), generator=g, device=dev)) < 0.5:  # aligned
        axis = int(torch.randint(d, (), generator=g, device=dev)) if d == 3 else -1
        plane = [n for i, n in enumerate(size) if i != axis] if d == 3 else list(size)
        cell = 2 * r * float(_uniform((), 1.05, 1.6, g))
        d1, _, sid = voronoi(plane, cell, generator=g)
        present = _uniform((int(sid.max()) + 1,), 0, 1, g)[sid] < float(_uniform((), 0.5, 1.0, g))
        disc = (d1 < r * _uniform((int(sid.max()) + 1,), 0.8, 1.1, g)[sid]) & present
        if d == 3:
            disc = disc.unsqueeze(axis).expand(*size)
        lab[disc] = FIBRE
    else:  # felt: random straight fibres, directions spread about a main direction
        fraction = float(_uniform((), 0.1, 0.5, g))  # fibre volume fraction
        per_fibre = (2 * r if d == 2 else math.pi * r * r) * max(size)
        k = max(1, min(150, round(fraction * math.prod(size) / per_fibre)))
        main = torch.randn(d, generator=g, device=dev)
        spread = float(_uniform((), 0.1, 2.0, g))
        dirs = main / main.norm() + spread * torch.randn((k, d), generator=g, device=dev)
        dirs = dirs / dirs.norm(dim=1, keepdim=True).clamp_min(1e-6)
        pts = torch.rand((k, d), generator=g, device=dev) * torch.tensor(size, device=dev, dtype=torch.float32)
        radii = r * _uniform((k,), 0.8, 1.2, g)
        axes = [torch.arange(n, device=dev, dtype=torch.float32) for n in size]
        x = torch.stack(torch.meshgrid(*axes, indexing="ij"), -1)
        for j in range(k):
            v = x - pts[j]
            along = (v * dirs[j]).sum(-1, keepdim=True)
            lab[(v - along * dirs[j]).norm(dim=-1) < radii[j]] = FIBRE
    voids = porous(size, g) == PORE
    lab[voids & _smooth_mask(size, float(_uniform((), 0.0, 0.3, g)), g)] = PORE
    return lab


#: Correlation length (voxels) of the ``field`` structure's Gaussian field, drawn log-uniformly.
FIELD_SIGMA = (1.0, 6.0)


def field(size, g: torch.Generator, *, sigma: tuple[float, float] = FIELD_SIGMA) -> torch.Tensor:
    """Pores as the excursion set of a Gaussian random field (Quiblier, J. Colloid Interface
    Sci. 1984; Adler, Jacquin & Quiblier, Int. J. Multiphase Flow 1990): white noise smoothed
    with a random correlation length (``sigma``: log-uniform in that range of voxels, default
    1-6; below 1, pores and throats of a voxel or two, as where a scan barely resolves the
    pore space; a little anisotropic, half the time plus a
    coarser second scale), thresholded at a random porosity (8-45 %), so pores are connected,
    tortuous and down to the voxel size, as in sandstones, carbonates and spinodal foams; the
    solid is matrix with a few dense spherical inclusions."""
    d, dev = len(size), g.device
    sigma = float(LogUniform(*sigma).sample((), generator=g)) * _uniform((1, d), 0.8, 1.25, g)
    f = blur(torch.randn((1, 1, *size), generator=g, device=dev), sigma)[0, 0]
    f = f / f.std().clamp_min(1e-8)
    if float(torch.rand((), generator=g, device=dev)) < 0.5:  # a second, coarser scale
        coarse = blur(torch.randn((1, 1, *size), generator=g, device=dev), sigma * float(_uniform((), 2.0, 4.0, g)))[0, 0]
        f = f + float(_uniform((), 0.3, 1.0, g)) * coarse / coarse.std().clamp_min(1e-8)
    lab = torch.full(tuple(size), MATRIX, dtype=torch.long, device=dev)
    lab[f < _threshold(f, float(_uniform((), 0.08, 0.45, g)))] = PORE
    cell = max(4.0, max(size) * float(LogUniform(0.05, 0.2).sample((), generator=g)))
    d1, _, sid = voronoi(size, cell, generator=g)
    n = int(sid.max()) + 1
    dense = _uniform((n,), 0, 1, g)[sid] < float(_uniform((), 0.0, 0.15, g))
    lab[dense & (d1 < _uniform((n,), 0.15, 0.45, g)[sid] * cell)] = INCLUSION
    return lab


_MAKERS = {"granular": granular, "porous": porous, "fibres": fibres, "field": field}


def cylinder_mask(size, radius: float, g: torch.Generator) -> torch.Tensor:
    """``bool (*size)``: inside a cylinder about the rotation axis (the last axis in 3D) of
    ``radius`` x half the in-plane size, centre jittered by 2 % of the size."""
    u, v = plane_coords(size, g.device)
    half = max(size[0], size[1]) / 2
    c = (2 * torch.rand(2, generator=g, device=g.device) - 1) * 0.02 * half
    inside = (u - c[0]) ** 2 + (v - c[1]) ** 2 < (radius * half) ** 2
    return inside.unsqueeze(-1).expand(*size) if len(size) == 3 else inside


# --------------------------------------------------------------------------- image formation
class Attenuation(GaussianMixture):
    """Attenuation per phase: one sampler per label in ``phases`` (pore, grain, matrix,
    fibre, inclusion); with probability ``p_random`` a sample instead draws every phase from
    ``random_range`` (any contrast order).  ``texture`` is the within-phase std.  Output
    ``float32 (B, 1, *spatial)``, >= 0."""

    def __init__(self, *, phases: Sequence[SamplerLike] = PHASE_RANGES, p_random: float = 0.25,
                 random_range: SamplerLike = (0.0, 1.5), texture: SamplerLike = (0.0, 0.05)) -> None:
        super().__init__(stds=texture)
        self.phases = [as_sampler(p, name=f"phases[{i}]") for i, p in enumerate(phases)]
        self.p_random = float(p_random)
        self.random_range = as_sampler(random_range, name="random_range")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, K, g = geom.batch, geom.n_labels, generator
        if K > len(self.phases):
            raise ValueError(f"Attenuation has ranges for {len(self.phases)} phases, labels need {K}")
        typical = torch.stack([self.phases[k].sample((B,), generator=g) for k in range(K)], 1)
        wild = self.random_range.sample((B, K), generator=g)
        use = torch.rand((B, 1), generator=g, device=g.device) < self.p_random
        means = torch.where(use, wild, typical).abs()
        stds = self.stds.sample((B, K), generator=g).abs()
        return {"means": means.unsqueeze(1), "stds": stds.unsqueeze(1), "seed": draw_seed(g)}

    def apply(self, state: State, /, *, params: Params) -> State:
        out = super().apply(state, params=params)
        return State(out.labels, out.image.clamp_min(0), out.spacing)


class PhotonNoise(Step):
    """Poisson photon noise in transmission: ``counts ~ Poisson(I0 exp(-mu L))`` with ``I0``
    (unattenuated counts) and ``L`` (path length, image units) drawn per sample; returns
    ``-log(max(counts, 0.5) / I0) / L``.  The variance is about ``1 / (I0 exp(-mu L) L^2)``."""

    def __init__(self, *, i0: SamplerLike = LogUniform(30.0, 5000.0),
                 path_length: SamplerLike = (0.5, 2.0)) -> None:
        super().__init__()
        self.i0 = as_sampler(i0, name="i0")
        self.path_length = as_sampler(path_length, name="path_length")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        return {"i0": self.i0.sample((geom.batch,), generator=generator).abs().clamp_min(1.0),
                "path_length": self.path_length.sample((geom.batch,), generator=generator)
                .abs().clamp_min(1e-3),
                "seed": draw_seed(generator)}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image.clamp_min(0)
        shape = (-1,) + (1,) * (img.dim() - 1)
        i0 = params["i0"].to(img.device).view(shape)
        L = params["path_length"].to(img.device).view(shape)
        g = seeded(params["seed"], img.device)
        counts = torch.poisson(i0 * torch.exp(-img * L), generator=g)
        return State(state.labels, -torch.log(counts.clamp_min(0.5) / i0) / L, state.spacing)


class MicroCT(Generator):
    """Micro-CT of granular, porous and fibrous materials: attenuation per phase, cupping,
    Poisson photon noise, rings, reconstruction blur."""

    name = "micro-ct"
    domain = "micro-ct"
    dims = (2, 3)
    description = "Micro-CT of grains, pores and fibres: phase attenuation, cupping, rings, photon noise"

    def __init__(
        self,
        *,
        out_size: int | Sequence[int] | None = None,
        spacing: float = 1.0,
        structures: Sequence[str] = STRUCTURES,
        targets: str = "phases",
        p_cylinder: float = 0.5,
        cylinder_radius: float | Sequence[float] = (0.8, 1.0),
        phases: Sequence[SamplerLike] = PHASE_RANGES,
        p_random_contrast: float = 0.25,
        texture: SamplerLike = (0.0, 0.05),
        rotation: SamplerLike = 0.0,
        scaling: SamplerLike = (0.7, 0.9),
        shear: SamplerLike = 0.05,
        svf_std: SamplerLike = (0.0, 2.0),
        flip: float = 0.5,
        blur: SamplerLike = (0.0, 1.0),
        cupping: SamplerLike = (0.0, 0.35),
        streak_amplitude: SamplerLike = (0.0, 0.3),
        p_streaks: float = 0.2,
        i0: SamplerLike = LogUniform(30.0, 5000.0),
        path_length: SamplerLike = (0.5, 2.0),
        stationary_noise: SamplerLike = 0.0,
        ring_amplitude: SamplerLike = (0.0, 0.15),
        p_rings: float = 0.7,
        recon_blur: SamplerLike = (0.0, 0.8),
        recon_noise: SamplerLike = 0.0,
        recon_noise_cutoff: SamplerLike = (0.5, 2.0),
        field_sigma: Sequence[float] = FIELD_SIGMA,
        contrast: str = "random",
    ) -> None:
        if contrast not in CONTRASTS:
            raise ValueError(f"unknown contrast {contrast!r}; valid: {', '.join(CONTRASTS)}")
        if contrast == "fixed":
            f = FIXED
            phases, p_random_contrast, texture = f["phases"], f["p_random_contrast"], f["texture"]
            blur, cupping, recon_blur = f["blur"], f["cupping"], f["recon_blur"]
            streak_amplitude, p_streaks = f["streak_amplitude"], f["p_streaks"]
            i0, path_length = f["i0"], f["path_length"]
            ring_amplitude, p_rings = f["ring_amplitude"], f["p_rings"]
        bad = [s for s in structures if s not in _MAKERS]
        if bad or not structures:
            raise ValueError(f"unknown micro-CT structure(s) {bad}; available: {', '.join(_MAKERS)}")
        if targets not in TARGETS:
            raise ValueError(f"unknown micro-CT targets {targets!r}; available: {', '.join(TARGETS)}")
        field_sigma = tuple(float(v) for v in field_sigma)
        if len(field_sigma) != 2 or not 0.0 < field_sigma[0] <= field_sigma[1]:
            raise ValueError(f"field_sigma is a range (low, high) of correlation lengths in voxels "
                             f"with 0 < low <= high, got {field_sigma}")
        if not 0.0 <= p_cylinder <= 1.0:
            raise ValueError(f"p_cylinder is a probability in [0, 1], got {p_cylinder}")
        radius = (float(cylinder_radius),) * 2 if isinstance(cylinder_radius, (int, float)) else \
            tuple(float(v) for v in cylinder_radius)
        if len(radius) != 2 or not 0.0 < radius[0] <= radius[1]:
            raise ValueError(f"cylinder_radius is a radius or a range (low, high) of radii, as a fraction "
                             f"of half the field of view, with 0 < low <= high, got {cylinder_radius}")
        steps = [
            RandomSpatial(out_size=out_size, rotation=rotation, scaling=scaling, shear=shear,
                          svf_std=svf_std, svf_scale=1 / 16, flip=flip, flip_axis=0),
            Attenuation(phases=phases, p_random=p_random_contrast, texture=texture),
            Blur(sigma=blur),
            Cupping(strength=cupping, offset=0.0, **_FIXED_CUPPING if contrast == "fixed" else {}),
            Streaks(amplitude=streak_amplitude, prob=p_streaks),
            PhotonNoise(i0=i0, path_length=path_length),
            # only when asked for, so that samples without it draw as before
            *([Noise(std=stationary_noise, kind="gaussian")] if stationary_noise != 0.0 else []),
            RingArtifact(amplitude=ring_amplitude, prob=p_rings),
            Blur(sigma=recon_blur),
            # only when asked for, so that samples without it draw as before
            *([ReconNoise(std=recon_noise, cutoff=recon_noise_cutoff)] if recon_noise != 0.0 else []),
            Normalize(),
        ]
        names, lut = TARGETS[targets]
        super().__init__(steps, n_labels=len(LABEL_NAMES), label_names=names, target_lut=lut,
                         spacing=spacing)
        self.targets = targets
        self.contrast = contrast
        self.structures = tuple(structures)
        self.p_cylinder = float(p_cylinder)
        self.cylinder_radius = radius
        self.field_sigma = field_sigma

    def default_labels(self, *, batch: int = 1, size: int | Sequence[int] = 64, dims: int = 3,
                       generator: torch.Generator) -> torch.Tensor:
        """Granular, porous or fibrous phase maps (one structure drawn per sample from
        ``structures``), some cut to a cylindrical core in air, ``int64 (B, 1, *size)``."""
        size = as_size(size, dims)
        g = generator
        out = []
        for _ in range(batch):
            kind = self.structures[int(torch.randint(len(self.structures), (), generator=g,
                                                     device=g.device))]
            lab = field(size, g, sigma=self.field_sigma) if kind == "field" else _MAKERS[kind](size, g)
            if float(torch.rand((), generator=g, device=g.device)) < self.p_cylinder:
                lab = torch.where(cylinder_mask(size, float(_uniform((), *self.cylinder_radius, g)), g), lab, PORE)
            out.append(lab)
        return torch.stack(out).unsqueeze(1)

    def config(self) -> dict:
        return {**super().config(), "targets": self.targets, "contrast": self.contrast,
                "structures": list(self.structures), "p_cylinder": self.p_cylinder,
                "cylinder_radius": list(self.cylinder_radius),
                "field_sigma": list(self.field_sigma)}


__all__ = ["Attenuation", "CONTRASTS", "FIXED", "LABEL_NAMES", "TARGETS", "MicroCT", "PhotonNoise", "cylinder_mask", "voronoi"]
