"""Label-shape primitives for the microscopy and ultrasound domains.

* :func:`paint_ellipsoids` rasterises randomly oriented ellipses/ellipsoids into a label map
  (nuclei, organelles, lesions);
* :func:`jittered_centres` places object centres on a jittered grid (dense packing without
  overlaps, as in the AnyStar nuclei recipe);
* :func:`voronoi` gives warped Voronoi cells and the distance to the nearest cell wall (EM cell
  maps; membranes are the voxels near a wall);
* :func:`smooth_noise` and :func:`warp_coords` are the smooth random fields behind them.

Arrays are ``(*spatial)`` tensors of one sample; batching is done by the callers.  Randomness
comes only from the explicit :class:`torch.Generator`.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

from synthzoo.generators.engine.spatial import centered_grid


def _u(g: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.rand(shape, generator=g, device=g.device)


def uniform(lo: float, hi: float, g: torch.Generator) -> float:
    """One float drawn uniformly from ``[lo, hi]``."""
    return lo + (hi - lo) * float(_u(g))


def smooth_noise(size: Sequence[int], *, cell: float, channels: int = 1,
                 generator: torch.Generator) -> torch.Tensor:
    """Gaussian noise on a grid of spacing ``cell`` voxels, linearly upsampled to ``size``
    (1D, 2D or 3D): ``(channels, *size)``, unit variance at the grid nodes."""
    size = tuple(int(s) for s in size)
    coarse = [max(2, math.ceil(n / max(cell, 1e-3)) + 1) for n in size]
    noise = torch.randn((1, channels, *coarse), generator=generator, device=generator.device)
    mode = {1: "linear", 2: "bilinear", 3: "trilinear"}[len(size)]
    return F.interpolate(noise, size=size, mode=mode, align_corners=True)[0]


def warp_coords(size: Sequence[int], *, amplitude: float, cell: float,
                generator: torch.Generator) -> torch.Tensor:
    """Voxel coordinates ``(*size, d)`` displaced by a smooth random field of std
    ``amplitude`` voxels varying over ``cell`` voxels (bends straight walls and ellipses)."""
    d = len(size)
    p = centered_grid(size, generator.device)
    if amplitude <= 0:
        return p
    disp = smooth_noise(size, cell=cell, channels=d, generator=generator) * amplitude
    return p + disp.movedim(0, -1)


def random_rotation(d: int, g: torch.Generator) -> torch.Tensor:
    """A uniformly random rotation matrix ``(d, d)`` (QR of a Gaussian matrix)."""
    a = torch.randn((d, d), generator=g, device=g.device)
    q, r = torch.linalg.qr(a)
    q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)
    if torch.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def paint_ellipsoids(labels: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor,
                     values: torch.Tensor | int, *, generator: torch.Generator,
                     coords: torch.Tensor | None = None, overwrite: bool = False,
                     mask: torch.Tensor | None = None, rotate: bool = True) -> torch.Tensor:
    """Paint ellipsoids into ``labels`` ``(*spatial)`` (in place; also returned).

    ``centres`` ``(N, d)`` and ``radii`` ``(N, d)`` in voxels (tensor-axis order); each gets a
    random orientation unless ``rotate=False`` (axes aligned with the tensor axes).
    ``values`` is one label for all or ``(N,)`` labels.  Without ``overwrite`` only voxels
    that are still 0 are painted (packed objects touch but do not overlap).  ``coords``
    (``(*spatial, d)``, from :func:`warp_coords`) deforms the shapes; ``mask`` restricts
    painting to where it is true."""
    size = labels.shape
    d = len(size)
    if coords is None:
        coords = centered_grid(size, labels.device)
    offset = torch.tensor([(n - 1) / 2 for n in size], device=labels.device)
    vals = torch.as_tensor(values, device=labels.device).expand(len(centres))
    for k in range(len(centres)):
        c, r = centres[k], radii[k].clamp_min(0.5)
        rot = random_rotation(d, generator) if rotate else torch.eye(d, device=labels.device)
        ext = float(r.max()) + 2
        lo = [max(0, int(math.floor(float(c[i]) - ext))) for i in range(d)]
        hi = [min(size[i], int(math.ceil(float(c[i]) + ext)) + 1) for i in range(d)]
        if any(h <= l for l, h in zip(lo, hi)):
            continue
        box = tuple(slice(l, h) for l, h in zip(lo, hi))
        q = (coords[box] + offset - c) @ rot  # rotate into the ellipsoid's frame
        inside = ((q / r) ** 2).sum(-1) <= 1.0
        if not overwrite:
            inside &= labels[box] == 0
        if mask is not None:
            inside &= mask[box]
        labels[box][inside] = vals[k]
    return labels


def jittered_centres(size: Sequence[int], *, cell: float, fill: float,
                     generator: torch.Generator, max_count: int | None = None,
                     jitter: float = 0.3) -> tuple[torch.Tensor, float]:
    """Object centres ``(N, d)`` on a grid of spacing ``cell`` (enlarged so that at most
    ``max_count`` grid nodes exist), each node kept with probability ``fill`` and jittered by
    ``jitter`` x ``cell``.  Returns the centres and the cell size used."""
    size = [int(s) for s in size]
    d = len(size)
    n_cells = math.prod(max(1, math.ceil(n / cell)) for n in size)
    if max_count is not None and n_cells > max_count:
        cell = cell * (n_cells / max_count) ** (1 / d) * 1.01
    axes = [torch.arange(max(1, math.ceil(n / cell)), device=generator.device) for n in size]
    grid = torch.stack(torch.meshgrid(*axes, indexing="ij"), -1).reshape(-1, d).float()
    phase = _u(generator, d)  # random grid offset
    centres = (grid + phase) * cell + (2 * _u(generator, *grid.shape) - 1) * jitter * cell
    inside = ((centres >= 0) & (centres <= torch.tensor(size, device=generator.device) - 1)).all(1)
    keep = (_u(generator, len(centres)) < fill) & inside
    centres = centres[keep]
    centres = centres[torch.randperm(len(centres), generator=generator, device=generator.device)]
    if max_count is not None:
        centres = centres[:max_count]
    return centres, cell


def voronoi(size: Sequence[int], *, n_seeds: int, coords: torch.Tensor | None = None,
            generator: torch.Generator, chunk: int = 32768) -> tuple[torch.Tensor, torch.Tensor]:
    """Voronoi cells of ``n_seeds`` uniform random seeds.

    Returns ``(cell_id, wall)``: ``int64 (*size)`` cell indices ``0..n_seeds-1`` and
    ``float32 (*size)`` the distance (voxels) to the nearest cell wall: the smallest distance
    ``(dk^2 - d1^2) / (2 |s1 - sk|)`` to the bisector planes between the nearest seed ``s1``
    and the next four seeds ``sk``.  Passing warped ``coords``
    (:func:`warp_coords`) bends the walls."""
    size = tuple(int(s) for s in size)
    d = len(size)
    if n_seeds < 2:
        raise ValueError(f"voronoi needs at least 2 seeds, got {n_seeds}")
    if coords is None:
        coords = centered_grid(size, generator.device)
    half = torch.tensor([(n - 1) / 2 for n in size], device=generator.device)
    seeds = (2 * _u(generator, n_seeds, d) - 1) * half
    flat = coords.reshape(-1, d)
    k = min(n_seeds, 5)
    ids, walls = [], []
    for start in range(0, flat.shape[0], chunk):
        dist = torch.cdist(flat[start : start + chunk], seeds)
        near = dist.topk(k, dim=1, largest=False)
        i1 = near.indices[:, :1]
        gap = (seeds[i1] - seeds[near.indices[:, 1:]]).norm(dim=-1).clamp_min(1e-6)
        plane = (near.values[:, 1:] ** 2 - near.values[:, :1] ** 2) / (2 * gap)
        ids.append(i1[:, 0])
        walls.append(plane.amin(1))
    return torch.cat(ids).view(size), torch.cat(walls).view(size)


__all__ = [
    "jittered_centres", "paint_ellipsoids", "random_rotation", "smooth_noise", "uniform",
    "voronoi", "warp_coords",
]
