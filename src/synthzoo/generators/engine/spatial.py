"""Spatial augmentation: random affine, diffeomorphic warp, flips and crop/pad in one resampling.

The output grid maps to the input by ``q = A (p + u(p)) + c``, where ``p`` are centred output
voxel coordinates, ``u`` is the exponential of a smooth stationary velocity field (integrated
by scaling and squaring, Arsigny et al. 2006; as in SynthMorph, Hoffmann et al. 2022, and
SynthSeg, Billot et al. 2023), ``A`` combines rotation, scaling and shear, and ``c`` is the
input centre plus a random crop shift and translation.  Labels are resampled by nearest
neighbour, images linearly; everything happens in a single ``grid_sample`` per tensor.

Speed: the whole map (affine, warp, flip) is composed on the coarse grid where the velocity
field is integrated, and only the composed map is upsampled to the output grid (separable
linear interpolation, one matrix product per axis).  Linear interpolation reproduces the
affine part exactly, so this equals upsampling the displacement first and composing after.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

from synthzoo.generators.engine.base import Geometry, Params, State, Step
from synthzoo.generators.engine.samplers import SamplerLike, as_sampler, symmetric
from synthzoo.generators.engine.separable import apply_along, interp_matrix


def centered_grid(shape: Sequence[int], device: torch.device | str) -> torch.Tensor:
    """Voxel coordinates centred on the volume, ``(*shape, d)`` in tensor-axis order."""
    axes = [torch.arange(n, device=device, dtype=torch.float32) - (n - 1) / 2 for n in shape]
    return torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1)


def _norm_identity(shape: Sequence[int], device: torch.device | str) -> torch.Tensor:
    """Identity grid for ``grid_sample`` (align_corners=True), ``(1, *shape, d)`` in x,y,z order."""
    axes = [torch.linspace(-1, 1, n, device=device) if n > 1 else torch.zeros(1, device=device)
            for n in shape]
    grid = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1)
    return grid.flip(-1).unsqueeze(0)


def _interp_mode(d: int) -> str:
    return "bilinear" if d == 2 else "trilinear"


def integrate_svf(velocity: torch.Tensor, full_shape: Sequence[int], steps: int = 7) -> torch.Tensor:
    """Scaling and squaring of a stationary velocity field.

    ``velocity``: ``float32 (B, d, *s)`` on a coarse grid spanning the full grid
    ``full_shape``, in full-grid voxel units.  Returns the displacement ``(B, d, *s)`` of the
    diffeomorphism ``exp(v)`` on the same coarse grid, in full-grid voxel units.
    """
    d = velocity.dim() - 2
    coarse = velocity.shape[2:]
    scale = torch.tensor([2.0 / max(n - 1, 1) for n in full_shape], device=velocity.device)
    scale = scale.view(1, d, *([1] * d))
    base = _norm_identity(coarse, velocity.device)
    u = velocity / (2**steps)
    for _ in range(steps):
        loc = base + (u * scale).movedim(1, -1).flip(-1)
        u = u + F.grid_sample(u, loc, mode="bilinear", padding_mode="border", align_corners=True)
    return u


def rotation_matrix(angles_deg: torch.Tensor, d: int) -> torch.Tensor:
    """``(B, d, d)`` rotations from ``(B, 1)`` (2D) or ``(B, 3)`` (3D) angles in degrees."""
    a = angles_deg * math.pi / 180
    c, s = torch.cos(a), torch.sin(a)
    B = a.shape[0]
    if d == 2:
        return torch.stack([c[:, 0], -s[:, 0], s[:, 0], c[:, 0]], -1).view(B, 2, 2)
    one, zero = torch.ones_like(c[:, 0]), torch.zeros_like(c[:, 0])
    rx = torch.stack([one, zero, zero, zero, c[:, 0], -s[:, 0], zero, s[:, 0], c[:, 0]], -1)
    ry = torch.stack([c[:, 1], zero, s[:, 1], zero, one, zero, -s[:, 1], zero, c[:, 1]], -1)
    rz = torch.stack([c[:, 2], -s[:, 2], zero, s[:, 2], c[:, 2], zero, zero, zero, one], -1)
    return rx.view(B, 3, 3) @ ry.view(B, 3, 3) @ rz.view(B, 3, 3)


class RandomSpatial(Step):
    """Random affine + diffeomorphic warp + flip + crop/pad to ``out_size``.

    Parameters (numbers or samplers): ``rotation`` degrees (a number ``r`` means
    ``Uniform(-r, r)``), ``scaling`` factor (a pair means uniform), ``shear``,
    ``translation`` (voxels), ``svf_std`` (std of the velocity field in voxels, drawn per
    sample), ``svf_scale`` (coarse grid size as a fraction of the output size), ``flip``
    (probability of a flip along ``flip_axis``; ``flip_lut`` swaps left/right labels).
    Defaults are SynthSeg's.
    """

    def __init__(
        self,
        *,
        out_size: Sequence[int] | int | None = None,
        rotation: SamplerLike = 15.0,
        scaling: SamplerLike = (0.8, 1.2),
        shear: SamplerLike = 0.012,
        translation: SamplerLike = 0.0,
        svf_std: SamplerLike = (0.0, 4.0),
        svf_scale: float = 1 / 25,
        integration_steps: int = 7,
        flip: float = 0.0,
        flip_axis: int = 0,
        flip_lut: Sequence[int] | None = None,
        random_crop: bool = True,
    ) -> None:
        super().__init__()
        self.out_size = out_size
        self.rotation = symmetric(rotation, name="rotation")
        self.scaling = as_sampler(scaling, name="scaling")
        self.shear = symmetric(shear, name="shear")
        self.translation = symmetric(translation, name="translation")
        self.svf_std = as_sampler(svf_std, name="svf_std")
        if not 0 < svf_scale <= 1:
            raise ValueError(f"svf_scale must lie in (0, 1], got {svf_scale}")
        self.svf_scale = float(svf_scale)
        self.integration_steps = int(integration_steps)
        if not 0.0 <= flip <= 1.0:
            raise ValueError(f"flip is a probability in [0, 1], got {flip}")
        self.flip = float(flip)
        self.flip_axis = int(flip_axis)
        self.flip_lut = None if flip_lut is None else [int(v) for v in flip_lut]
        self.random_crop = bool(random_crop)

    def _out(self, spatial: Sequence[int]) -> tuple[int, ...]:
        if self.out_size is None:
            return tuple(spatial)
        if isinstance(self.out_size, int):
            return (self.out_size,) * len(spatial)
        out = tuple(int(s) for s in self.out_size)
        if len(out) != len(spatial):
            raise ValueError(f"out_size {out} does not match {len(spatial)}-D input")
        return out

    def output_geometry(self, geom: Geometry) -> Geometry:
        return Geometry(geom.batch, self._out(geom.spatial), geom.n_labels, geom.device, geom.spacing)

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        B, d = geom.batch, geom.dims
        out = self._out(geom.spatial)
        n_angles = 1 if d == 2 else 3
        coarse = [max(2, math.ceil(n * self.svf_scale)) for n in out]
        std = self.svf_std.sample((B,), generator=generator)
        noise = torch.randn((B, d, *coarse), generator=generator, device=generator.device)
        slack = torch.tensor([max(i - o, 0) / 2 for i, o in zip(geom.spatial, out)],
                             device=generator.device)
        u = torch.rand((B, d), generator=generator, device=generator.device)
        shift = (2 * u - 1) * slack if self.random_crop else torch.zeros_like(u)
        return {
            "angles": self.rotation.sample((B, n_angles), generator=generator),
            "scales": self.scaling.sample((B, d), generator=generator),
            "shears": self.shear.sample((B, d * (d - 1)), generator=generator),
            "translation": self.translation.sample((B, d), generator=generator) + shift,
            "velocity": noise * std.view(B, *([1] * (d + 1))),
            "flip": torch.rand((B,), generator=generator, device=generator.device) < self.flip,
        }

    @staticmethod
    def matrix(params: Params) -> torch.Tensor:
        """The linear part ``A`` (output -> input), ``(B, d, d)``: rotation @ shear @ scaling."""
        scales = params["scales"]
        B, d = scales.shape
        rot = rotation_matrix(params["angles"], d)
        shear = torch.eye(d, device=scales.device).repeat(B, 1, 1)
        off = ~torch.eye(d, dtype=torch.bool, device=scales.device)
        shear[:, off] = params["shears"]
        return rot @ shear @ torch.diag_embed(scales)

    def displacement(self, params: Params, out: Sequence[int]) -> torch.Tensor:
        """Dense displacement ``u`` on the output grid, ``(B, d, *out)`` in voxels.

        The coarse velocity is upsampled to an integration grid of at most 32 voxels per side
        (half the output size) so that scaling and squaring composes accurately."""
        v = params["velocity"]
        if float(v.abs().max()) == 0.0:
            return torch.zeros((v.shape[0], v.shape[1], *out), device=v.device)
        work = [max(c, min(32, n // 2)) for c, n in zip(v.shape[2:], out)]
        if list(work) != list(v.shape[2:]):
            v = F.interpolate(v, size=work, mode=_interp_mode(len(out)), align_corners=True)
        u = integrate_svf(v, out, self.integration_steps)
        return F.interpolate(u, size=tuple(out), mode=_interp_mode(len(out)), align_corners=True)

    def _work_size(self, params: Params, out: Sequence[int]) -> list[int]:
        """Grid on which the map is composed: the SVF integration grid, or 2 nodes per axis
        (enough for an affine map) when there is no warp."""
        v = params["velocity"]
        if float(v.abs().max()) == 0.0:
            return [min(2, n) for n in out]
        return [max(c, min(32, n // 2)) for c, n in zip(v.shape[2:], out)]

    def sampling_grid(self, params: Params, in_shape: Sequence[int], out_shape: Sequence[int],
                      *, normalized: bool = False) -> torch.Tensor:
        """Input coordinates sampled by each output voxel, ``(B, *out, d)``.

        In input voxel indices (tensor-axis order), or, with ``normalized=True``, in the
        ``grid_sample`` convention (align_corners=True, x/y/z order)."""
        return self._grid(params, in_shape, out_shape, normalized=normalized)

    def _grid(self, params: Params, in_shape: Sequence[int], out_shape: Sequence[int], *,
              normalized: bool, flip: torch.Tensor | None = None) -> torch.Tensor:
        """:meth:`sampling_grid`, optionally with the output flipped along ``flip_axis`` for
        the samples where ``flip`` is true.  Composed on the coarse work grid, then upsampled."""
        d = len(out_shape)
        out_shape = tuple(int(n) for n in out_shape)
        A = self.matrix(params)
        B = A.shape[0]
        centre = torch.tensor([(n - 1) / 2 for n in in_shape], device=A.device)
        c = centre + params["translation"]
        if normalized:
            s = torch.tensor([2.0 / max(n - 1, 1) for n in in_shape], device=A.device)
            A = (s.view(1, d, 1) * A).flip(1)
            c = (s * c - 1).flip(-1)
        work = self._work_size(params, out_shape)
        axes = [torch.linspace(-(n - 1) / 2, (n - 1) / 2, w, device=A.device)
                for n, w in zip(out_shape, work)]
        p = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).unsqueeze(0)  # (1, *work, d)
        v = params["velocity"]
        if float(v.abs().max()) != 0.0:
            if list(work) != list(v.shape[2:]):
                v = F.interpolate(v, size=work, mode=_interp_mode(d), align_corners=True)
            p = p + integrate_svf(v, out_shape, self.integration_steps).movedim(1, -1)
        q = torch.bmm(p.expand(B, *work, d).reshape(B, -1, d), A.transpose(1, 2))
        q = q.view(B, *work, d) + c.view(B, *([1] * d), d)
        if flip is not None and bool(flip.any()):
            axis = 1 + (self.flip_axis % d)
            q = torch.where(flip.view(B, *([1] * (d + 1))), q.flip(axis), q)
        return upsample_grid(q, out_shape)

    def apply(self, state: State, /, *, params: Params) -> State:
        labels = state.labels
        d = labels.dim() - 2
        out = self._out(labels.shape[2:])
        flip = params["flip"]
        # the flip is folded into the sampling grid: flipping the output = sampling it flipped
        grid = self._grid(params, labels.shape[2:], out, normalized=True, flip=flip)
        lab = F.grid_sample(labels.float(), grid, mode="nearest", padding_mode="zeros",
                            align_corners=True).long()
        img = None
        if state.image is not None:
            img = F.grid_sample(state.image, grid, mode="bilinear", padding_mode="zeros",
                                align_corners=True)
        if self.flip_lut is not None and bool(flip.any()):
            view = (-1,) + (1,) * (d + 1)
            swapped = torch.take(torch.as_tensor(self.flip_lut, device=lab.device), lab)
            lab = torch.where(flip.view(view), swapped, lab)
        return State(lab, img, state.spacing)


def upsample_grid(q: torch.Tensor, out_shape: Sequence[int]) -> torch.Tensor:
    """Linearly upsample (align_corners=True) a channels-last map ``(B, *work, d)`` to
    ``(B, *out_shape, d)``, one matrix product per axis; the last product writes the
    channels-last layout ``grid_sample`` wants, so no permuted copy of the full grid is made."""
    d = len(out_shape)
    work = q.shape[1:-1]
    x = q.movedim(-1, 1)  # (B, d, *work): small
    for axis in range(1, d):
        if work[axis] != out_shape[axis]:
            x = apply_along(x, interp_matrix(work[axis], out_shape[axis], q.device), axis)
    x = x.movedim(1, -1).unsqueeze(1)  # (B, 1, w0, n1, ..., d)
    if work[0] != out_shape[0]:
        x = apply_along(x, interp_matrix(work[0], out_shape[0], q.device), 0)
    return x.reshape(q.shape[0], *out_shape, d)


class FieldOfView(Step):
    """A field of view smaller than the sample, with probability ``p`` per sample: outside a
    random axis-aligned box the image is set to zero and the labels to index 0 (background).
    The box's side along each axis is the fraction ``size`` (drawn per sample and axis) of the
    sample's, at a uniformly random place.  This is what a network sees when it is run on an
    image cropped to part of the anatomy (a partial field of view, a scan cropped to a region
    of the brain) and padded with zeros to its input size, so that it does not take the
    crop's edge for the edge of the head.  Place it before the final normalisation, after the
    noise, so that the zeros are the image's minimum as the padding is."""

    def __init__(self, *, p: float = 0.0, size: SamplerLike = (0.3, 0.9)) -> None:
        super().__init__()
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"p_fov must be in [0, 1], got {p}")
        self.p = float(p)
        self.size = as_sampler(size, name="fov")
        low = float(getattr(self.size, "low", getattr(self.size, "value", self.size.upper)))
        if not 0.0 < low <= self.size.upper <= 1.0:
            raise ValueError(f"fov is a fraction of the sample's side in (0, 1], got {size}")

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        b, d = geom.batch, geom.dims
        on = torch.rand((b,), generator=generator, device=generator.device) < self.p
        frac = self.size.sample((b, d), generator=generator).clamp(0.0, 1.0)
        start = torch.rand((b, d), generator=generator, device=generator.device) * (1.0 - frac)
        return {"on": on, "start": start, "stop": start + frac}

    def apply(self, state: State, /, *, params: Params) -> State:
        lab = state.labels
        b, spatial = lab.shape[0], lab.shape[2:]
        dev = lab.device
        start, stop = params["start"].to(dev), params["stop"].to(dev)
        keep = (~params["on"].to(dev)).view((b, 1) + (1,) * len(spatial))
        inside = torch.ones((b, 1, *spatial), dtype=torch.bool, device=dev)
        for axis, n in enumerate(spatial):
            centre = (torch.arange(n, device=dev, dtype=start.dtype) + 0.5) / n
            along = (centre >= start[:, axis, None]) & (centre < stop[:, axis, None])  # (B, n)
            shape = [b, 1] + [1] * len(spatial)
            shape[2 + axis] = n
            inside = inside & along.view(shape)
        keep = keep | inside
        image = state.image
        if image is not None:
            image = torch.where(keep, image, torch.zeros((), dtype=image.dtype, device=image.device))
        return State(torch.where(keep, lab, torch.zeros_like(lab)), image, state.spacing)
