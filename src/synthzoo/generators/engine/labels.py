"""Label sources: label maps read from files, and label maps made from noise.

``noise_shapes`` is the SynthMorph "shapes" recipe (Hoffmann et al., IEEE TMI 2022): several
smoothed noise channels, each warped by its own random diffeomorphism, then argmax, so a
generator can run with no data at all.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from synthzoo.generators.engine.spatial import RandomSpatial


class LabelFileError(ValueError):
    """A label-map file that cannot be used; the message names the file and the problem."""


def noise_shapes(
    *, batch: int, size: Sequence[int], n_labels: int = 8, scale: float | Sequence[float] = (1 / 32, 1 / 8),
    warp_std: float = 3.0, generator: torch.Generator,
) -> torch.Tensor:
    """Random-shape label maps ``int64 (B, 1, *size)`` with values ``0..n_labels-1``.

    Each label channel is Gaussian noise on a coarse grid (``scale`` x size; a pair means a
    random scale per sample in that range, giving shapes of varied size), upsampled, warped by
    a random smooth diffeomorphism, and the label is the argmax over channels.  Labels are
    computed on a grid of at most 64 voxels per side and upsampled by nearest neighbour.
    """
    size = tuple(int(s) for s in size)
    d = len(size)
    if d not in (2, 3):
        raise ValueError(f"noise_shapes makes 2D or 3D label maps, got size {size}")
    if n_labels < 1:
        raise ValueError(f"n_labels must be >= 1, got {n_labels}")
    device = generator.device
    work = tuple(min(s, 64) for s in size)
    lo, hi = (scale, scale) if isinstance(scale, (int, float)) else scale
    warp = RandomSpatial(rotation=0.0, scaling=1.0, shear=0.0, svf_std=warp_std, svf_scale=1 / 8)
    mode = "bilinear" if d == 2 else "trilinear"
    out = []
    for _ in range(batch):
        u = float(torch.rand((), generator=generator, device=device))
        s = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        coarse = [max(2, math.ceil(n * s)) for n in work]
        noise = torch.randn((n_labels, 1, *coarse), generator=generator, device=device)
        field = F.interpolate(noise, size=work, mode=mode, align_corners=True)
        geom_params = warp.sample_params(_geom(n_labels, work, device), generator=generator)
        grid = warp.sampling_grid(geom_params, work, work, normalized=True)
        field = F.grid_sample(field, grid, mode="bilinear", padding_mode="border", align_corners=True)
        lab = field.argmax(0, keepdim=True)  # (1, 1, *work)
        out.append(lab)
    labels = torch.cat(out)
    if work != size:
        labels = F.interpolate(labels.float(), size=size, mode="nearest").long()
    return labels


def _geom(batch, spatial, device):
    from synthzoo.generators.engine.base import Geometry

    return Geometry(batch, tuple(spatial), 1, device, (1.0,) * len(spatial))


def read_label_map(path: str | Path) -> tuple[np.ndarray, tuple[float, ...]]:
    """Read an integer label map from NIfTI (``.nii``, ``.nii.gz``), TIFF or Zarr.

    Returns ``(array, spacing)``; raises :class:`LabelFileError` naming the file when it is
    missing, unreadable, or not an integer-valued map."""
    path = Path(path)
    if not path.exists():
        raise LabelFileError(f"{path}: no such file")
    name = path.name.lower()
    try:
        if name.endswith((".nii", ".nii.gz")):
            import nibabel as nib

            img = nib.load(str(path))
            arr = np.asanyarray(img.dataobj)
            spacing = tuple(float(z) for z in img.header.get_zooms()[: arr.ndim])
        elif name.endswith((".tif", ".tiff")):
            import tifffile

            arr = tifffile.imread(str(path))
            spacing = (1.0,) * arr.ndim
        elif name.endswith(".zarr") or path.is_dir():
            import zarr

            node = zarr.open(str(path), mode="r")
            if hasattr(node, "shape"):
                arr = np.asarray(node[...])
                attrs = dict(node.attrs)
            elif "labels" in node:
                arr = np.asarray(node["labels"][...])
                attrs = dict(node.attrs)
            else:
                raise LabelFileError(f"{path}: Zarr store has no array and no 'labels' array")
            spacing = tuple(float(s) for s in attrs.get("spacing", (1.0,) * arr.ndim))
        else:
            raise LabelFileError(
                f"{path}: unsupported label-map format; use .nii, .nii.gz, .tif, .tiff or .zarr"
            )
    except LabelFileError:
        raise
    except Exception as exc:
        raise LabelFileError(f"{path}: cannot read label map ({type(exc).__name__}: {exc})") from exc
    arr = np.squeeze(arr)
    if arr.ndim not in (2, 3):
        raise LabelFileError(f"{path}: label map must be 2D or 3D, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or not np.array_equal(arr, np.round(arr)):
            raise LabelFileError(f"{path}: label map must hold integer values, got {arr.dtype} "
                                 "with non-integer values")
    if arr.min() < 0:
        raise LabelFileError(f"{path}: label values must be >= 0, found {arr.min()}")
    return arr.astype(np.int64), spacing[: arr.ndim]


def load_labels(path: str | Path, *, n_labels: int | None = None) -> torch.Tensor:
    """A label-map file as ``int64 (1, 1, *spatial)``, checked against ``n_labels``."""
    arr, _ = read_label_map(path)
    if n_labels is not None and arr.max() >= n_labels:
        raise LabelFileError(
            f"{path}: label value {int(arr.max())} out of range; this generator takes labels "
            f"0..{n_labels - 1}"
        )
    return torch.from_numpy(arr)[None, None]
