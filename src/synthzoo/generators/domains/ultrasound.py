"""``ultrasound``: B-mode ultrasound with speckle, attenuation, shadows and a sector field of view.

Recipe: the scatterer-based B-mode model (Jensen, "Field: A program for simulating ultrasound
systems", Med. Biol. Eng. Comput. 1996; fast convolutional form: Gao et al., "A fast
convolution-based methodology to simulate 2-D/3-D cardiac ultrasound images", IEEE TUFFC 2009)
computed in beam coordinates (range x beam angle) and scan-converted to a sector:

1. labels are sampled on the beam grid of a sector (fan) probe of random geometry (apex
   position, opening angle, depth; convex or phased-array look; a pyramid in 3D), or, with
   probability ``p_linear``, of a linear array (parallel lines filling the whole field);
2. scatterers: circular complex Gaussian amplitudes (many scatterers per resolution cell give
   fully developed speckle, whose envelope is Rayleigh-distributed: Burckhardt, "Speckle in
   ultrasound B-mode scans", IEEE Trans. Sonics Ultrason. 1978) scaled by a per-class
   echogenicity, thinned to a per-class scatterer density (sparser scatterers give
   non-Rayleigh texture);
3. convolution with a Gaussian pulse PSF (short axially, wider laterally), on the beam grid so
   lateral speckle widens with depth in the image as in a real sector scan;
4. depth attenuation with a per-class attenuation coefficient, integrated along each beam
   (round trip) -- strongly attenuating "reflector" structures (bone, stones) cast acoustic
   shadows -- and a random time-gain-compensation curve;
5. electronic noise, envelope detection, log compression with a random dynamic range and
   gain; scan conversion and a random display smoothing (``smooth``, voxels: resampling a
   scan to a coarser grid averages its speckle down); everything outside the sector is 0 (and
   its target label is background).

Layout: ``(B, 1, H, W)`` / ``(B, 1, D, H, W)`` with depth (the probe's axial direction) on axis
0, the transducer at the top.  Generation labels (all kept in the target): 0 background tissue
(and outside the sector), ``1..n_layers`` superficial layers (skin, fat, muscle),
``n_organs`` organ blobs, ``lesion``, ``reflector``.

``targets="lesions"`` gives the label set of the ``ultrasound-phantoms`` test set (background,
hypoechoic, hyperechoic, cyst): each lesion is one of three kinds whose echogenicity is drawn
*relative to the tissue* so the class means what its name says -- hypoechoic ``U(0.1, 0.5)`` x
the darkest tissue's echo, hyperechoic ``U(2, 5)`` x the brightest's, a cyst ``U(0, 0.03)`` x
the darkest's with almost no attenuation (posterior enhancement); layers, organs and the
reflector are background in the target.

``contrast="fixed"`` is the narrow baseline: the same labels, sector geometry and spatial
augmentation, but one fixed scanner and tissue look (:data:`FIXED`: one echogenicity, scatterer
density and attenuation per class, +-10 % per sample; one linear-array probe, PSF, TGC, noise,
dynamic range and gain, no display smoothing) instead of randomized ones.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from synthzoo.generators.engine.base import Generator, Geometry, Params, State, Step, as_size, draw_seed, seeded
from synthzoo.generators.engine.intensity import blur
from synthzoo.generators.engine.samplers import LogUniform, SamplerLike, Uniform, as_sampler
from synthzoo.generators.physics.shapes import paint_ellipsoids, smooth_noise
from synthzoo.generators.engine.spatial import RandomSpatial


#: Tissue look of the narrow baseline, cycled over the classes of each kind (+-10 % per sample).
FIXED_TISSUE = {"background": (0.3, 0.9, 0.6), "layer": ((0.6, 0.8, 0.8), (0.15, 0.9, 0.4), (0.4, 0.7, 1.0)),
                "organ": ((0.12, 0.8, 0.5), (0.2, 1.0, 0.7), (0.5, 0.6, 0.9)), "lesion": (0.08, 0.5, 0.3),
                "reflector": (2.0, 1.0, 100.0)}  # (echo, density, attenuation)
#: The fixed scanner of the narrow baseline (BMode options) and the fixed lesion ratios.
FIXED = {"axial_sigma": 0.8, "lateral_sigma": 1.5, "tgc_slope": 1.0, "tgc_std": 0.0, "noise": 0.005,
         "dynamic_range": 50.0, "gain": 10.0, "hypo_ratio": 0.3, "hyper_ratio": 3.0, "cyst_ratio": 0.01,
         "cyst_attenuation": 0.05, "smooth": 0.0, "p_linear": 1.0}
CONTRASTS = ("random", "fixed")
#: Round-trip transmission below which a lesion is lost in a shadow (its target: background).
SHADOW = 0.02
#: Lesion radius range, as fractions of the image depth (log-uniform).
LESION_RADIUS = (0.02, 0.25)
#: Apex height of a linear-array probe, in image depths above the image (``p_linear``).
LINEAR_APEX = 20.0
TARGETS = ("tissues", "lesions")
LESION_NAMES = ("background", "hypoechoic", "hyperechoic", "cyst")


def _col(x: torch.Tensor, d: int) -> torch.Tensor:
    """``(B,)`` -> ``(B, 1, *[1]*d)`` for broadcasting over ``(B, C, *spatial)``."""
    return x.view(-1, *([1] * (d + 1)))


class BMode(Step):
    """Sector B-mode image formation from labels (see the module docstring).

    All parameters take a number, a ``(low, high)`` pair or a sampler; angles in degrees,
    ``apex`` and ``depth`` as fractions of the image depth (axis 0), PSF sigmas in beam-grid
    samples, attenuation in nepers per image depth (one way), dynamic range in dB, ``smooth``
    (the display smoothing) in image voxels.  ``p_linear`` is the probability of a linear-array
    probe (apex :data:`LINEAR_APEX` depths above the image, lines covering the whole field).
    ``echo`` / ``density`` / ``attenuation`` are drawn per class; the reflector class (the
    last label) uses ``reflector_echo`` and ``reflector_attenuation`` instead.

    ``tables`` (``(echo, density, attenuation)`` per class) replaces the per-class draws by fixed
    values scaled by ``1 + U(-jitter, jitter)`` (the narrow baseline).  ``lesions`` (the class
    indices of hypoechoic, hyperechoic and cyst lesions) sets their echo relative to the other
    classes (``hypo_ratio`` x the darkest, ``hyper_ratio`` x the brightest, ``cyst_ratio`` x the
    darkest) and the cyst's attenuation to ``cyst_attenuation``; a lesion voxel whose round-trip
    transmission is below :data:`SHADOW` (in a reflector's shadow) is background in the target."""

    def __init__(
        self,
        *,
        n_labels: int,
        half_angle: SamplerLike = (20.0, 45.0),
        apex: SamplerLike = (-0.02, 0.6),
        depth: SamplerLike = (0.75, 1.0),
        shift: SamplerLike = (-0.1, 0.1),
        echo: SamplerLike = LogUniform(0.1, 1.0),
        density: SamplerLike = (0.1, 1.0),
        attenuation: SamplerLike = (0.0, 2.0),
        reflector_echo: SamplerLike = (1.5, 3.0),
        reflector_attenuation: SamplerLike = (60.0, 200.0),
        axial_sigma: SamplerLike = (0.3, 1.5),
        lateral_sigma: SamplerLike = (0.5, 3.0),
        tgc_slope: SamplerLike = (0.0, 2.0),
        tgc_std: SamplerLike = (0.0, 0.4),
        noise: SamplerLike = (0.0, 0.01),
        dynamic_range: SamplerLike = (35.0, 65.0),
        gain: SamplerLike = LogUniform(2.0, 12.0),
        smooth: SamplerLike = (0.0, 1.2),
        p_linear: float = 0.3,
        reflector: bool = True,
        tables: Sequence[Sequence[float]] | None = None,
        jitter: float = 0.1,
        lesions: Sequence[int] | None = None,
        hypo_ratio: SamplerLike = (0.1, 0.5),
        hyper_ratio: SamplerLike = (2.0, 5.0),
        cyst_ratio: SamplerLike = (0.0, 0.03),
        cyst_attenuation: SamplerLike = (0.0, 0.1),
    ) -> None:
        super().__init__()
        self.n_labels = int(n_labels)
        self.reflector = bool(reflector)
        if not 0.0 <= float(p_linear) <= 1.0:
            raise ValueError(f"p_linear must lie in [0, 1], got {p_linear}")
        self.p_linear = float(p_linear)
        if tables is not None and len(tables) != self.n_labels:
            raise ValueError(f"tables has {len(tables)} rows, need one per class ({self.n_labels})")
        self.tables = None if tables is None else [[float(v) for v in row] for row in tables]
        self.jitter = float(jitter)
        self.lesions = None if lesions is None else [int(k) for k in lesions]
        for key, value in dict(
            half_angle=half_angle, apex=apex, depth=depth, shift=shift, echo=echo, density=density,
            attenuation=attenuation, reflector_echo=reflector_echo,
            reflector_attenuation=reflector_attenuation, axial_sigma=axial_sigma,
            lateral_sigma=lateral_sigma, tgc_slope=tgc_slope, tgc_std=tgc_std, noise=noise,
            dynamic_range=dynamic_range, gain=gain, smooth=smooth, hypo_ratio=hypo_ratio, hyper_ratio=hyper_ratio,
            cyst_ratio=cyst_ratio, cyst_attenuation=cyst_attenuation,
        ).items():
            setattr(self, key, as_sampler(value, name=key))

    # -- drawing ------------------------------------------------------------------------
    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, d, K = geom.batch, geom.dims, self.n_labels
        g = generator

        def s(name: str, shape: tuple[int, ...] = (B,)) -> torch.Tensor:
            return getattr(self, name).sample(shape, generator=g)

        echo, atten = s("echo", (B, K)).abs(), s("attenuation", (B, K)).abs()
        density = s("density", (B, K))
        if self.tables is not None:
            table = torch.tensor(self.tables, device=g.device).T  # (3, K)
            u = torch.rand((3, B, K), generator=g, device=g.device) * 2 - 1
            echo, density, atten = (table.unsqueeze(1) * (1 + self.jitter * u)).unbind(0)
        elif self.reflector:
            echo[:, -1] = s("reflector_echo").abs()
            atten[:, -1] = s("reflector_attenuation").abs()
        if self.lesions is not None:
            hypo, hyper, cyst = self.lesions
            tissue = [k for k in range(K) if k not in self.lesions and not (self.reflector and k == K - 1)]
            lo, hi = echo[:, tissue].min(1).values, echo[:, tissue].max(1).values
            echo[:, hypo] = lo * s("hypo_ratio").abs()
            echo[:, hyper] = hi * s("hyper_ratio").abs()
            echo[:, cyst] = lo * s("cyst_ratio").abs()
            atten[:, cyst] = s("cyst_attenuation").abs()
        sigma = torch.cat([s("axial_sigma", (B, 1)), s("lateral_sigma", (B, d - 1))], 1).abs()
        tgc = torch.stack([smooth_noise((geom.spatial[0],), cell=geom.spatial[0] / 4, generator=g)[0]
                           for _ in range(B)])
        half_angle = s("half_angle", (B, d - 1)).abs().clamp(1.0, 89.0)
        apex, depth, shift = s("apex"), s("depth").abs().clamp_min(0.05), s("shift")
        # linear-array probes: the apex far above the image and a narrow fan that covers the
        # whole field, so the scan lines are (nearly) parallel and the image is a full rectangle
        linear = torch.rand((B,), generator=g, device=g.device) < self.p_linear
        if bool(linear.any()):
            far = float(LINEAR_APEX)
            lateral = torch.tensor([float(n) for n in geom.spatial[1:]], device=g.device)
            cover = torch.rad2deg(torch.atan(0.55 * lateral / (far * geom.spatial[0])))
            half_angle = torch.where(linear[:, None], cover.expand(B, -1), half_angle)
            apex = torch.where(linear, torch.full_like(apex, far), apex)
            depth = torch.where(linear, torch.full_like(depth, 1.02), depth)
            shift = torch.where(linear, torch.zeros_like(shift), shift)
        return {
            "half_angle": half_angle, "apex": apex, "depth": depth, "shift": shift,
            "echo": echo, "density": density.clamp(1e-3, 1.0), "attenuation": atten,
            "sigma": sigma, "tgc_slope": s("tgc_slope"), "tgc": tgc * s("tgc_std").view(B, 1),
            "noise": s("noise").abs(), "dynamic_range": s("dynamic_range").abs().clamp_min(1.0),
            "gain": s("gain").abs().clamp_min(1e-3), "smooth": s("smooth").abs(), "seed": draw_seed(g),
        }

    # -- geometry -----------------------------------------------------------------------
    @staticmethod
    def sector(params: Params, spatial: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Apex position ``(B, d)`` (voxels) and range limits ``(B, 2)`` of the sector."""
        H = spatial[0]
        apex_depth = -params["apex"] * H
        lateral = [torch.full_like(apex_depth, (n - 1) / 2) for n in spatial[1:]]
        lateral[0] = lateral[0] + params["shift"] * spatial[1]
        apex = torch.stack([apex_depth] + lateral, 1)
        r0 = apex_depth.neg().clamp_min(0)
        r1 = r0 + params["depth"] * H
        return apex, torch.stack([r0, r1], 1)

    def beam_grid(self, params: Params, spatial: Sequence[int]) -> torch.Tensor:
        """Cartesian voxel positions ``(B, *spatial, d)`` of the beam-grid samples
        (range along axis 0, beam angles along the other axes)."""
        d = len(spatial)
        apex, rr = self.sector(params, spatial)
        dev = apex.device
        t = [torch.linspace(0, 1, n, device=dev) for n in spatial]
        r = rr[:, :1] + (rr[:, 1:] - rr[:, :1]) * t[0]  # (B, n_r)
        tans = []
        for k in range(d - 1):
            a = torch.deg2rad(params["half_angle"][:, k : k + 1]) * (2 * t[k + 1] - 1)  # (B, n_k)
            tans.append(torch.tan(a))
        B = apex.shape[0]
        shape = (B, *spatial)
        tan_grids = [tk.view(B, *([1] * (k + 1)), -1, *([1] * (d - 2 - k))).expand(shape)
                     for k, tk in enumerate(tans)]
        norm = torch.sqrt(1 + sum(tg**2 for tg in tan_grids))
        axial = r.view(B, -1, *([1] * (d - 1))).expand(shape) / norm
        pos = [axial] + [axial * tg for tg in tan_grids]
        return torch.stack(pos, -1) + apex.view(B, *([1] * d), d)

    def polar_coords(self, params: Params, spatial: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """For each Cartesian voxel: its beam-grid position in ``grid_sample`` coordinates
        ``(B, *spatial, d)`` and whether it lies inside the sector ``(B, 1, *spatial)``."""
        d = len(spatial)
        apex, rr = self.sector(params, spatial)
        B = apex.shape[0]
        axes = [torch.arange(n, device=apex.device, dtype=torch.float32) for n in spatial]
        p = torch.stack(torch.meshgrid(*axes, indexing="ij"), -1).unsqueeze(0)
        p = p - apex.view(B, *([1] * d), d)
        r = p.norm(dim=-1)
        u = [(r - _col(rr[:, 0], d - 1)) / _col(rr[:, 1] - rr[:, 0], d - 1) * 2 - 1]
        inside = (u[0].abs() <= 1) & (p[..., 0] > 0)
        for k in range(d - 1):
            half = torch.deg2rad(params["half_angle"][:, k])
            ang = torch.atan2(p[..., k + 1], p[..., 0])
            u.append(ang / _col(half, d - 1))
            inside &= u[-1].abs() <= 1
        return torch.stack(u[::-1], -1), inside.unsqueeze(1)

    # -- physics ------------------------------------------------------------------------
    def envelope(self, beam_labels: torch.Tensor, params: Params) -> torch.Tensor:
        """Echo envelope on the beam grid, ``float32 (B, 1, *spatial)``, from labels sampled on
        the beam grid ``int64 (B, 1, *spatial)`` (range on axis 0)."""
        B = beam_labels.shape[0]
        d = beam_labels.dim() - 2
        flat = beam_labels.view(B, -1)
        g = seeded(params["seed"], beam_labels.device)
        echo = torch.gather(params["echo"], 1, flat).view(beam_labels.shape)
        dens = torch.gather(params["density"], 1, flat).view(beam_labels.shape)
        iq = torch.randn((B, 2, *beam_labels.shape[2:]), generator=g, device=beam_labels.device)
        keep = torch.rand(beam_labels.shape, generator=g, device=beam_labels.device) < dens
        field = iq * (echo * keep / dens.sqrt())
        field = blur(field, params["sigma"])
        n_r = beam_labels.shape[2]
        depth = torch.linspace(0, 1, n_r, device=beam_labels.device).view(1, 1, n_r, *([1] * (d - 1)))
        tgc = _col(params["tgc_slope"], d) * depth + params["tgc"].view(B, 1, n_r, *([1] * (d - 1)))
        field = field * torch.exp(tgc) * self.transmission(beam_labels, params)
        scale = field.square().sum(1, keepdim=True).mean(dim=tuple(range(2, d + 2)), keepdim=True).sqrt()
        noise = torch.randn(field.shape, generator=g, device=field.device)
        field = field + noise * _col(params["noise"], d) * scale
        return field.square().sum(1, keepdim=True).sqrt()

    @staticmethod
    def transmission(beam_labels: torch.Tensor, params: Params) -> torch.Tensor:
        """Round-trip amplitude transmission ``exp(-2 x path)`` on the beam grid, the attenuation
        integrated along each beam down to (not including) each sample."""
        B, n_r = beam_labels.shape[0], beam_labels.shape[2]
        mu = torch.gather(params["attenuation"], 1, beam_labels.view(B, -1)).view(beam_labels.shape) / n_r
        return torch.exp(-2 * (torch.cumsum(mu, dim=2) - mu))

    @staticmethod
    def compress(env: torch.Tensor, params: Params) -> torch.Tensor:
        """Log compression to [0, 1]: ``1 + 20 log10(env / ref) / DR`` clipped, with the
        reference ``ref = gain x mean(env)``."""
        d = env.dim() - 2
        ref = env.mean(dim=tuple(range(1, d + 2))).clamp_min(1e-12) * params["gain"]
        db = 20 * torch.log10(env.clamp_min(1e-12) / _col(ref, d))
        return (1 + db / _col(params["dynamic_range"], d)).clamp(0, 1)

    def apply(self, state: State, /, *, params: Params) -> State:
        labels = state.labels
        spatial = labels.shape[2:]
        size = torch.tensor([max(n - 1, 1) for n in spatial], device=labels.device, dtype=torch.float32)
        beam = self.beam_grid(params, spatial)
        grid = (2 * beam / size - 1).flip(-1)
        beam_labels = F.grid_sample(labels.float(), grid, mode="nearest", padding_mode="border",
                                    align_corners=True).long()
        image = self.compress(self.envelope(beam_labels, params), params)
        coords, inside = self.polar_coords(params, spatial)
        if self.lesions is not None:
            # a lesion lost in an acoustic shadow cannot be seen: its target is background there
            through = F.grid_sample(self.transmission(beam_labels, params), coords, mode="bilinear",
                                    padding_mode="border", align_corners=True)
            lesion = torch.isin(labels, torch.tensor(self.lesions, device=labels.device))
            labels = torch.where(lesion & (through < SHADOW), torch.zeros_like(labels), labels)
        image = F.grid_sample(image, coords, mode="bilinear", padding_mode="zeros",
                              align_corners=True).clamp(0, 1)
        # smoothing of the displayed image (scan conversion, display resampling, a lower-resolution
        # view of fine speckle): averages the speckle down, as resampling a real scan does
        sigma = params["smooth"].view(-1, 1).expand(-1, len(spatial))
        image = blur(image, sigma) * inside
        return State(labels * inside, image, state.spacing)


class Ultrasound(Generator):
    """B-mode ultrasound: speckle, depth attenuation, shadows, sector field of view."""

    name = "ultrasound"
    domain = "ultrasound"
    dims = (2, 3)
    description = ("B-mode ultrasound: speckle, log compression, attenuation + TGC, "
                   "shadows, random sector")
    preview_planes = ((2, "lateral"), (1, "elevation"))

    def __init__(
        self,
        *,
        out_size: int | Sequence[int] | None = None,
        spacing: float = 1.0,
        n_layers: int = 3,
        n_organs: int = 3,
        rotation: SamplerLike = 10.0,
        scaling: SamplerLike = (0.85, 1.15),
        svf_std: SamplerLike = (0.0, 3.0),
        targets: str = "tissues",
        contrast: str = "random",
        **bmode: SamplerLike,
    ) -> None:
        if n_layers < 0 or n_organs < 0:
            raise ValueError(f"n_layers and n_organs must be >= 0, got {n_layers}, {n_organs}")
        if targets not in TARGETS:
            raise ValueError(f"unknown ultrasound targets {targets!r}; valid: {', '.join(TARGETS)}")
        if contrast not in CONTRASTS:
            raise ValueError(f"unknown contrast {contrast!r}; valid: {', '.join(CONTRASTS)}")
        lesion_kinds = ["lesion"] if targets == "tissues" else list(LESION_NAMES[1:])
        names = (["background"] + [f"layer_{k + 1}" for k in range(n_layers)]
                 + [f"organ_{k + 1}" for k in range(n_organs)] + lesion_kinds + ["reflector"])
        first_lesion = 1 + n_layers + n_organs
        if targets == "lesions":
            bmode = {"lesions": (first_lesion, first_lesion + 1, first_lesion + 2), **bmode}
        if contrast == "fixed":
            t = FIXED_TISSUE
            tables = ([t["background"]] + [t["layer"][k % 3] for k in range(n_layers)]
                      + [t["organ"][k % 3] for k in range(n_organs)] + [t["lesion"]] * len(lesion_kinds)
                      + [t["reflector"]])
            bmode = {**bmode, **FIXED, "tables": tables}
        try:
            image = BMode(n_labels=len(names), **bmode)
        except TypeError as exc:
            raise TypeError(f"ultrasound: {exc}; B-mode options are the keyword arguments of "
                            "synthzoo.generators.domains.ultrasound.BMode") from exc
        steps = [
            RandomSpatial(out_size=out_size, rotation=rotation, scaling=scaling, shear=0.02,
                          svf_std=svf_std, svf_scale=1 / 16, flip=0.5, flip_axis=1),
            image,
        ]
        if targets == "lesions":
            lut = [0] * first_lesion + [1, 2, 3, 0]
            super().__init__(steps, n_labels=len(names), label_names=LESION_NAMES, target_lut=lut,
                             spacing=spacing)
        else:
            super().__init__(steps, n_labels=len(names), label_names=names, spacing=spacing)
        self.n_layers, self.n_organs = int(n_layers), int(n_organs)
        self.targets, self.contrast = targets, contrast
        self.generation_names = tuple(names)

    def default_labels(self, *, batch: int = 1, size: int | Sequence[int] = 64, dims: int = 3,
                       generator: torch.Generator) -> torch.Tensor:
        """Layers, organs, lesions and a reflector, ``int64 (B, 1, *size)``, depth on axis 0.

        ``n_layers`` wavy superficial layers (each 3-12% of the depth), organ blobs below them
        (argmax of smooth noise channels, as in the SynthMorph shapes recipe), 0-5
        ellipsoidal lesions (radius log-uniform in :data:`LESION_RADIUS` x the depth) and, with
        probability 0.8, one or two flat reflectors (bone, stones) in the upper two thirds."""
        size = as_size(size, dims)
        dev = generator.device
        H = size[0]
        depth = torch.arange(H, device=dev, dtype=torch.float32).view(H, *([1] * (dims - 1)))
        out = torch.zeros((batch, 1, *size), dtype=torch.long, device=dev)
        first_organ = 1 + self.n_layers
        lesion = first_organ + self.n_organs
        kinds = 1 if self.targets == "tissues" else 3  # lesion labels: one, or hypo / hyper / cyst
        reflector = lesion + kinds
        u = Uniform(0.0, 1.0)
        for b in range(batch):
            # organs: argmax of smooth noise channels (SynthMorph-like shapes at full resolution);
            # half of the channels are background, so organs cover about half of the field
            cell = min(size) / (3 + 5 * float(u.sample((), generator=generator)))
            field = smooth_noise(size, cell=cell, channels=2 * max(self.n_organs, 1), generator=generator)
            organ = field.argmax(0)
            lab = torch.where(organ < self.n_organs, organ + first_organ, torch.zeros_like(organ))
            top = torch.zeros(size[1:], device=dev)
            done = torch.zeros(size, dtype=torch.bool, device=dev)
            for k in range(self.n_layers):
                wave = smooth_noise(size[1:], cell=size[1] / 3, generator=generator)[0]
                thick = H * (0.03 + 0.09 * float(u.sample((), generator=generator)))
                top = top + thick * (1 + 0.3 * wave).clamp_min(0.2)
                layer = (depth < top) & ~done
                lab[layer] = k + 1
                done |= layer
            n_les = int(torch.randint(0, 6, (), generator=generator, device=dev))
            if n_les:
                c = u.sample((n_les, dims), generator=generator) * (torch.tensor(size, device=dev) - 1)
                c[:, 0] = c[:, 0] * 0.6 + 0.3 * H
                # radius log-uniform over a decade: small nodules to cysts a quarter of the field
                r = LESION_RADIUS[0] * (LESION_RADIUS[1] / LESION_RADIUS[0]) ** u.sample((n_les, 1), generator=generator) * H
                radii = r * (0.7 + 0.6 * u.sample((n_les, dims), generator=generator))
                values = lesion + torch.randint(kinds, (n_les,), generator=generator, device=dev) if kinds > 1 else lesion
                paint_ellipsoids(lab, c, radii, values, overwrite=True, generator=generator)
            if float(u.sample((), generator=generator)) < 0.8:
                n_ref = int(torch.randint(1, 3, (), generator=generator, device=dev))
                c = u.sample((n_ref, dims), generator=generator) * (torch.tensor(size, device=dev) - 1)
                c[:, 0] = (0.2 + 0.45 * u.sample((n_ref,), generator=generator)) * H
                c[:, 1:] = c[:, 1:] * 0.6 + 0.2 * torch.tensor(size[1:], device=dev)
                radii = torch.empty((n_ref, dims), device=dev)
                radii[:, 0] = (0.015 + 0.025 * u.sample((n_ref,), generator=generator)) * H
                radii[:, 1:] = (0.03 + 0.06 * u.sample((n_ref, dims - 1), generator=generator)) * H
                paint_ellipsoids(lab, c, radii, reflector, overwrite=True, rotate=False,
                                 generator=generator)
            out[b, 0] = lab
        return out

    def config(self) -> dict:
        return {**super().config(), "targets": self.targets, "contrast": self.contrast,
                "n_layers": self.n_layers, "n_organs": self.n_organs,
                "generation_names": list(self.generation_names)}
