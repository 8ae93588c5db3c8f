"""``fluorescence``: fluorescence microscopy of packed nuclei, the AnyStar recipe.

Recipe: Dey et al., "AnyStar: Domain randomized universal star-convex 3D instance
segmentation", WACV 2024 -- label maps of packed, deformed ellipsoids of random density and
size; a random intensity per object with intensity heterogeneity inside objects; blur by a
point-spread function that is elongated along the optical axis; background; Poisson shot noise
plus Gaussian read noise.  The imaging model ``counts ~ Poisson(photons * (object (*) PSF +
background)) + N(0, read)`` is the standard widefield/confocal camera model (e.g. Sage et al.,
"DeconvolutionLab2", Methods 2017).

Layout: ``(B, 1, H, W)`` in 2D and ``(B, 1, Z, Y, X)`` in 3D with the optical axis ``z`` first.
Generation labels: 0 background, ``1..max_objects`` object instances.  The target is
foreground/background; with ``boundary=True`` three classes, background, nucleus (interior)
and boundary (the pixels of an object next to another object or the background, face
connectivity), the output of a 3-class U-Net from which touching nuclei are separated
(:func:`synthzoo.zoo.instances.instances_from_boundary`); or the instances themselves with
``instances=True``.

Defaults (all overridable with a number, a ``(low, high)`` pair or a sampler): object size
(grid spacing) U(6, 16) voxels, fill fraction U(0.3, 1), elongation up to 1.6, object mean
U(0.2, 1), heterogeneity std U(0, 0.5) on a grid of 1/6 the size, PSF sigma_xy U(0.3, 2)
voxels with sigma_z = sigma_xy x U(2, 4), background U(0, 0.3), illumination std U(0, 0.3),
photons at intensity 1 LogUniform(5, 1000), read noise std U(0, 3) photons.

``focus_depth`` (off by default: 0) makes a 2D image one plane of a 3D specimen
(:class:`Defocus`): each nucleus lies at a focal offset up to ``focus_depth`` (e.g. U(0, 2))
times its half-height from the plane, so the plane cuts a smaller section
of it (or misses it: background in the target), and its light reaches the plane blurred by
``defocus_spread`` U(0, 4) voxels per unit offset and dimmed by ``(1 + offset^2) **
-defocus_fade``, ``defocus_fade`` U(1, 3) -- the out-of-focus nuclei a 2D model meets in every
plane of a real stack, from a widefield microscope's haze to a confocal's dim but sharp caps.
It is off by default because it did not help: the 2D model pair trained with it (``focus_depth``
U(0, 2), nuclei of 8-22 voxel grid spacing) scored lower on ``fluorescence-nuclei`` than the
pair trained without it (see ``docs/zoo.md``).

``contrast="widefield"`` is the narrow baseline: the same labels and spatial augmentation, but
one fixed widefield microscope (:data:`WIDEFIELD`: object brightness 0.6 +-10 % per nucleus,
one PSF, background, illumination and noise level) instead of randomized ones.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from synthzoo.generators.engine.base import Generator, Geometry, Params, State, Step, as_size, draw_seed, seeded
from synthzoo.generators.engine.intensity import BiasField, GaussianMixture, Normalize, blur, smooth_field
from synthzoo.generators.engine.samplers import LogUniform, SamplerLike, Uniform, as_sampler
from synthzoo.generators.physics.shapes import jittered_centres, paint_ellipsoids, warp_coords
from synthzoo.generators.engine.spatial import RandomSpatial

#: The one fixed microscope of the narrow baseline (``contrast="widefield"``): every intensity,
#: PSF and noise option fixed, the object brightness 0.6 +- 10 % per nucleus.
WIDEFIELD = {"object_mean": (0.54, 0.66), "object_std": 0.02, "heterogeneity": 0.15,
             "sigma_xy": 1.2, "z_ratio": 2.5, "background": 0.1, "background_std": 0.2,
             "illumination": 0.1, "photons": 100.0, "read_noise": 1.5, "defocus_spread": 2.5,
             "defocus_fade": 1.0}
CONTRASTS = ("random", "widefield")


def object_boundary(labels: torch.Tensor) -> torch.Tensor:
    """``bool`` mask of the object pixels of instance labels ``(B, 1, *spatial)`` (2D or 3D, 0
    background) with a face neighbour of another label (object or background); the image
    border does not count."""
    pool = F.max_pool2d if labels.dim() == 4 else F.max_pool3d
    ndim = labels.dim() - 2
    lab = labels.float()
    # a cross (face neighbours) per axis, so that diagonal neighbours do not count
    edge = torch.zeros(labels.shape, dtype=torch.bool, device=labels.device)
    for axis in range(ndim):
        k = [1] * ndim
        k[axis] = 3
        pad = [0, 0] * ndim
        pad[2 * (ndim - 1 - axis)] = pad[2 * (ndim - 1 - axis) + 1] = 1
        padded = F.pad(lab, pad, mode="replicate")
        hi = pool(padded, tuple(k), 1)
        lo = -pool(-padded, tuple(k), 1)
        edge |= (hi != lab) | (lo != lab)
    return edge & (labels > 0)


class PSF(Step):
    """Gaussian point-spread function, elongated along the optical axis (axis 0 in 3D).

    ``sigma_xy`` (voxels) is drawn per sample; in 3D ``sigma_z = sigma_xy * z_ratio``.
    Gaussian approximation of the widefield/confocal PSF (Zhang et al., Applied Optics 2007)."""

    def __init__(self, *, sigma_xy: SamplerLike = (0.3, 2.0), z_ratio: SamplerLike = (2.0, 4.0)) -> None:
        super().__init__()
        self.sigma_xy = as_sampler(sigma_xy, name="sigma_xy")
        self.z_ratio = as_sampler(z_ratio, name="z_ratio")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, d = geom.batch, geom.dims
        xy = self.sigma_xy.sample((B, 1), generator=generator).abs()
        ratio = self.z_ratio.sample((B, 1), generator=generator).abs()
        sigma = xy.expand(B, d).clone()
        if d == 3:
            sigma[:, :1] = xy * ratio
        return {"sigma": sigma}

    def apply(self, state: State, /, *, params: Params) -> State:
        return State(state.labels, blur(state.image, params["sigma"]), state.spacing)


class Defocus(Step):
    """Objects above and below the focal plane of a 2D image (a plane of a 3D specimen).

    Each object gets a focal offset ``u`` (its distance from the plane in units of its own
    half-height), drawn ``U(0, depth)`` with ``depth`` drawn per sample.  The plane cuts an
    object with ``u < 1`` in a section ``sqrt(1 - u^2)`` times its size (its target shrinks to
    that section: the voxels at least ``1 - sqrt(1 - u^2)`` of the object's inner depth from its
    border); an object with ``u >= 1`` is not in the plane (its target is background).  Every
    object still sends light: its image is blurred by ``spread * u`` voxels and dimmed by
    ``(1 + u^2) ** -fade``, both drawn per sample: a widefield microscope spreads the light of
    an object off focus over a growing disk (``spread`` > 0, ``fade`` about 1), a confocal one
    mostly dims it (``spread`` near 0: a separable Gaussian PSF does not widen off focus;
    ``fade`` up to 3).  Offsets are applied in bins of
    ``1 / bins_per_unit``.  Needs instance labels (each object its own label, 0 background), as
    :meth:`Fluorescence.default_labels` draws them.  In 3D it does nothing: the 3D PSF blurs
    the objects off each plane."""

    def __init__(self, *, depth: SamplerLike = (0.0, 2.0), spread: SamplerLike = (0.0, 4.0),
                 fade: SamplerLike = (1.0, 3.0), bins_per_unit: int = 4) -> None:
        super().__init__()
        self.depth = as_sampler(depth, name="depth")
        self.spread = as_sampler(spread, name="spread")
        self.fade = as_sampler(fade, name="fade")
        if bins_per_unit < 1:
            raise ValueError(f"bins_per_unit must be >= 1, got {bins_per_unit}")
        self.bins_per_unit = int(bins_per_unit)

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, K = geom.batch, geom.n_labels
        depth = self.depth.sample((B, 1), generator=generator).abs()
        u = torch.rand((B, K), generator=generator, device=generator.device) * depth
        u[:, 0] = 0.0  # background
        return {"offset": u, "spread": self.spread.sample((B,), generator=generator).abs(),
                "fade": self.fade.sample((B,), generator=generator).abs()}

    @staticmethod
    def inner_depth(labels: torch.Tensor) -> torch.Tensor:
        """For each voxel of ``labels (B, 1, H, W)``: how many 3x3 erosions of its own object it
        survives (0 on an object's border, where a neighbour has another label)."""
        pad = F.pad(labels.float(), (1, 1, 1, 1), mode="replicate")
        same = (F.max_pool2d(pad, 3, 1) == labels) & (-F.max_pool2d(-pad, 3, 1) == labels) & (labels > 0)
        depth = torch.zeros(labels.shape, dtype=torch.float32, device=labels.device)
        alive = same.float()
        while bool(alive.any()):
            depth += alive
            alive = -F.max_pool2d(-F.pad(alive, (1, 1, 1, 1), value=0.0), 3, 1)
        return depth

    def apply(self, state: State, /, *, params: Params) -> State:
        labels, image = state.labels, state.image
        if labels.dim() != 4:
            return state
        B = labels.shape[0]
        u = params["offset"]
        u_vox = torch.gather(u, 1, labels.view(B, -1)).view(labels.shape)
        # target: the section of each object the plane cuts
        depth = self.inner_depth(labels)
        deepest = torch.zeros_like(u).scatter_reduce(1, labels.view(B, -1), depth.view(B, -1), "amax")
        deepest = torch.gather(deepest, 1, labels.view(B, -1)).view(labels.shape)
        section = (1 - u_vox.clamp(max=1).square()).clamp_min(0).sqrt()
        keep = (u_vox < 1) & (depth >= (1 - section) * deepest)
        new_labels = torch.where(keep, labels, torch.zeros_like(labels))
        # light: each offset bin blurred by its defocus and dimmed
        bins = (u_vox * self.bins_per_unit).round()
        out = torch.zeros_like(image)
        for b in bins.unique().tolist():
            ub = b / self.bins_per_unit
            part = image * (bins == b)
            if ub > 0:
                sigma = (params["spread"] * ub).view(B, 1).expand(B, 2)
                dim = (1 + ub**2) ** -params["fade"].view(B, 1, 1, 1)
                part = blur(part, sigma) * dim
            out = out + part
        return State(new_labels, out, state.spacing)


class Background(Step):
    """Additive background (out-of-focus light, autofluorescence): ``level * exp(s)``,
    ``s`` a smooth Gaussian field of std ``std`` on a grid ``scale`` x the size."""

    def __init__(self, *, level: SamplerLike = (0.0, 0.3), std: SamplerLike = (0.0, 0.5),
                 scale: float = 0.1) -> None:
        super().__init__()
        self.level = as_sampler(level, name="level")
        self.std = as_sampler(std, name="std")
        self.scale = float(scale)

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, d = geom.batch, geom.dims
        coarse = [max(2, round(n * self.scale)) for n in geom.spatial]
        std = self.std.sample((B,), generator=generator).view(B, 1, *([1] * d))
        field = torch.randn((B, 1, *coarse), generator=generator, device=generator.device)
        return {"level": self.level.sample((B,), generator=generator).abs(), "coeffs": field * std}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image
        bg = torch.exp(smooth_field(params["coeffs"], img.shape[2:]))
        level = params["level"].view(-1, *([1] * (img.dim() - 1)))
        return State(state.labels, img + level * bg, state.spacing)


class CameraNoise(Step):
    """Camera model: ``(Poisson(photons * x) + N(0, read^2)) / photons``.

    ``photons`` is the expected photon count at intensity 1 (shot noise: the variance of the
    counts equals their mean); ``read`` is the read-noise std in photons.  The image must be
    >= 0 (negative values are clipped before the Poisson draw)."""

    def __init__(self, *, photons: SamplerLike = LogUniform(5.0, 1000.0),
                 read: SamplerLike = (0.0, 3.0)) -> None:
        super().__init__()
        self.photons = as_sampler(photons, name="photons")
        self.read = as_sampler(read, name="read")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B = geom.batch
        return {"photons": self.photons.sample((B,), generator=generator).clamp_min(1e-3),
                "read": self.read.sample((B,), generator=generator).abs(),
                "seed": draw_seed(generator)}

    def apply(self, state: State, /, *, params: Params) -> State:
        img = state.image.clamp_min(0)
        view = (-1,) + (1,) * (img.dim() - 1)
        photons, read = params["photons"].view(view), params["read"].view(view)
        g = seeded(params["seed"], img.device)
        counts = torch.poisson(img * photons, generator=g)
        counts = counts + read * torch.randn(img.shape, generator=g, device=img.device)
        return State(state.labels, counts / photons, state.spacing)


class Fluorescence(Generator):
    """Fluorescence microscopy of packed nuclei (AnyStar recipe), 2D and 3D."""

    name = "fluorescence"
    domain = "fluorescence"  # the domain of the fluorescence-nuclei test set
    spacing_unit = "um"
    dims = (2, 3)
    description = ("Fluorescence nuclei (AnyStar): packed ellipsoids, z-elongated PSF, "
                   "shot + read noise")
    preview_planes = ((0, "xy"), (1, "xz"))

    def __init__(
        self,
        *,
        out_size: int | Sequence[int] | None = None,
        spacing: float = 1.0,
        max_objects: int = 255,
        instances: bool = False,
        boundary: bool = False,
        object_size: SamplerLike = (6.0, 16.0),
        fill: SamplerLike = (0.3, 1.0),
        elongation: SamplerLike = (1.0, 1.6),
        rotation: SamplerLike = 180.0,
        scaling: SamplerLike = (0.9, 1.1),
        svf_std: SamplerLike = (0.0, 2.0),
        object_mean: SamplerLike = (0.2, 1.0),
        object_std: SamplerLike = (0.0, 0.05),
        heterogeneity: SamplerLike = (0.0, 0.5),
        heterogeneity_scale: float = 1 / 6,
        sigma_xy: SamplerLike = (0.3, 2.0),
        z_ratio: SamplerLike = (2.0, 4.0),
        background: SamplerLike = (0.0, 0.3),
        background_std: SamplerLike = (0.0, 0.5),
        illumination: SamplerLike = (0.0, 0.3),
        photons: SamplerLike = LogUniform(5.0, 1000.0),
        read_noise: SamplerLike = (0.0, 3.0),
        focus_depth: SamplerLike = 0.0,
        defocus_spread: SamplerLike = (0.0, 4.0),
        defocus_fade: SamplerLike = (1.0, 3.0),
        contrast: str = "random",
    ) -> None:
        if max_objects < 1:
            raise ValueError(f"max_objects must be >= 1, got {max_objects}")
        if instances and boundary:
            raise ValueError("instances=True and boundary=True exclude each other: instance ids "
                             "or background/nucleus/boundary classes")
        if contrast not in CONTRASTS:
            raise ValueError(f"unknown contrast {contrast!r}; valid: {', '.join(CONTRASTS)}")
        if contrast == "widefield":
            w = WIDEFIELD
            object_mean, object_std, heterogeneity = w["object_mean"], w["object_std"], w["heterogeneity"]
            sigma_xy, z_ratio, photons, read_noise = w["sigma_xy"], w["z_ratio"], w["photons"], w["read_noise"]
            background, background_std, illumination = w["background"], w["background_std"], w["illumination"]
            defocus_spread, defocus_fade = w["defocus_spread"], w["defocus_fade"]
        steps = [
            RandomSpatial(out_size=out_size, rotation=rotation, scaling=scaling, shear=0.02,
                          svf_std=svf_std, svf_scale=1 / 16),
            GaussianMixture(means=object_mean, stds=object_std, zero_background=True),
            BiasField(std=heterogeneity, scale=heterogeneity_scale),
            *([] if isinstance(focus_depth, (int, float)) and focus_depth == 0 else
              [Defocus(depth=focus_depth, spread=defocus_spread, fade=defocus_fade)]),
            PSF(sigma_xy=sigma_xy, z_ratio=z_ratio),
            Background(level=background, std=background_std),
            BiasField(std=illumination, scale=0.05),
            CameraNoise(photons=photons, read=read_noise),
            Normalize(),
        ]
        n = int(max_objects) + 1
        if instances:
            names = ["background"] + [f"object_{k}" for k in range(1, n)]
            lut = None
        elif boundary:
            names, lut = ["background", "nucleus", "boundary"], [0] + [1] * (n - 1)
        else:
            names, lut = ["background", "nucleus"], [0] + [1] * (n - 1)
        super().__init__(steps, n_labels=n, label_names=names, target_lut=lut, spacing=spacing)
        self.max_objects = int(max_objects)
        self.instances = bool(instances)
        self.boundary = bool(boundary)
        self.contrast = contrast
        self.object_size = as_sampler(object_size, name="object_size")
        self.fill = as_sampler(fill, name="fill")
        self.elongation = as_sampler(elongation, name="elongation")

    def default_labels(self, *, batch: int = 1, size: int | Sequence[int] = 64, dims: int = 3,
                       generator: torch.Generator) -> torch.Tensor:
        """Packed, deformed ellipsoids (instances ``1..max_objects``), ``int64 (B, 1, *size)``.

        Centres lie on a jittered grid of spacing ``object_size`` (a node is used with
        probability ``fill``); each object gets radii ``0.5 x spacing x U(0.7, 1)`` times a
        random elongation, a random orientation, and a smooth warp; objects are painted in
        random order without overlapping."""
        size = as_size(size, dims)
        out = torch.zeros((batch, 1, *size), dtype=torch.long, device=generator.device)
        for b in range(batch):
            cell = float(self.object_size.sample((), generator=generator).abs().clamp_min(2.0))
            fill = float(self.fill.sample((), generator=generator).clamp(0.0, 1.0))
            centres, cell = jittered_centres(size, cell=cell, fill=fill, generator=generator,
                                             max_count=self.max_objects)
            n = len(centres)
            if n == 0:
                continue
            r = 0.5 * cell * (0.7 + 0.3 * Uniform(0, 1).sample((n, 1), generator=generator))
            stretch = self.elongation.sample((n, 1), generator=generator).abs().clamp_min(1.0)
            radii = r.expand(n, dims).clone()
            radii[:, :1] = radii[:, :1] * stretch
            radii[:, 1:] = radii[:, 1:] / stretch.sqrt()
            coords = warp_coords(size, amplitude=0.12 * cell, cell=cell, generator=generator)
            ids = torch.arange(1, n + 1, device=generator.device)
            paint_ellipsoids(out[b, 0], centres, radii, ids, coords=coords, generator=generator)
        return out

    def make_target(self, labels: torch.Tensor) -> torch.Tensor:
        target = super().make_target(labels)
        if self.boundary:
            target = torch.where(object_boundary(labels), torch.full_like(target, 2), target)
        return target

    def config(self) -> dict:
        cfg = super().config()
        cfg.update(max_objects=self.max_objects, instances=self.instances, boundary=self.boundary,
                   contrast=self.contrast,
                   labels={"object_size": self.object_size.to_dict(), "fill": self.fill.to_dict(),
                           "elongation": self.elongation.to_dict()})
        return cfg
