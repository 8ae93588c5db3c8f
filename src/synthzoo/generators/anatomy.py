"""Brain anatomy from the MNI ICBM152 2009c template that nilearn ships, and the train/test split.

Tissue classes: 0 background, 1 CSF, 2 grey matter, 3 white matter.  nilearn ships the
skull-stripped T1 template and grey/white-matter probability maps but no CSF map, so CSF is
derived: the brain mask is ``T1 > 2 %`` of its range with holes filled, and the CSF
probability is what the mask leaves after grey and white matter,
``p_csf = clip(mask - p_gm - p_wm, 0, 1)``; the label is the argmax of
``(1 - mask, p_csf, p_gm, p_wm)``.  That gives ventricles and sulcal CSF.

The split: the axial slab ``HELDOUT_Z`` (template voxel indices along the inferior-superior
axis, through the bodies of the lateral ventricles) is held out for test sets; training uses
the template with that slab and a guard band of ``GUARD`` slices on either side removed,
the remaining inferior and superior parts stitched together.  The template is left-right
symmetric, so a hemisphere split would leak test anatomy into training; an axial slab does not.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

LABEL_NAMES = ("background", "csf", "gray_matter", "white_matter")
HELDOUT_Z = (88, 120)
GUARD = 4
TEMPLATE_SPACING = 1.0
LICENSE = "MNI ICBM152 2009 template: free use with attribution (Copyright (C) 1993-2009 Louis Collins, McConnell Brain Imaging Centre, Montreal Neurological Institute, McGill University)"


def _template_path(kind: str) -> Path:
    import nilearn

    p = Path(nilearn.__file__).parent / "datasets" / "data" / f"mni_icbm152_{kind}_tal_nlin_sym_09a_converted.nii.gz"
    if not p.exists():
        raise FileNotFoundError(f"{p}: MNI152 template file not found; is nilearn installed fully?")
    return p


@functools.lru_cache(maxsize=1)
def tissue_probabilities() -> np.ndarray:
    """``float32 (4, X, Y, Z)`` probabilities of background, CSF, GM, WM at 1 mm."""
    import nibabel as nib
    from scipy import ndimage

    t1, gm, wm = (np.asarray(nib.load(str(_template_path(k))).dataobj, dtype=np.float32) / 255.0
                  for k in ("t1", "gm", "wm"))
    mask = ndimage.binary_fill_holes(t1 > 0.02).astype(np.float32)
    gm, wm = gm * mask, wm * mask
    csf = np.clip(mask - gm - wm, 0.0, 1.0)
    return np.stack([1.0 - mask, csf, gm, wm]).astype(np.float32)


@functools.lru_cache(maxsize=1)
def template_t1() -> np.ndarray:
    """The real MNI152 T1 template (skull-stripped), ``float32 (X, Y, Z)`` in [0, 1]."""
    import nibabel as nib

    return np.asarray(nib.load(str(_template_path("t1"))).dataobj, dtype=np.float32) / 255.0


def template_affine() -> np.ndarray:
    import nibabel as nib

    return nib.load(str(_template_path("t1"))).affine


def training_z() -> np.ndarray:
    """Template z indices (1 mm) that training may use."""
    nz = tissue_probabilities().shape[-1]
    z = np.arange(nz)
    return z[(z < HELDOUT_Z[0] - GUARD) | (z >= HELDOUT_Z[1] + GUARD)]


def heldout_z() -> np.ndarray:
    """Template z indices (1 mm) reserved for test sets."""
    return np.arange(*HELDOUT_Z)


def _to_labels(prob: np.ndarray, spacing: float) -> np.ndarray:
    from scipy import ndimage

    if spacing != TEMPLATE_SPACING:
        f = TEMPLATE_SPACING / spacing
        prob = np.stack([ndimage.zoom(p, f, order=1) for p in prob])
    return prob.argmax(0).astype(np.int64)


@functools.lru_cache(maxsize=8)
def training_labels(spacing: float = 1.0) -> np.ndarray:
    """Training anatomy: ``int64 (X, Y, Z')`` labels 0..3 at ``spacing`` mm, held-out slab
    and guard band removed."""
    prob = tissue_probabilities()[..., training_z()]
    return _to_labels(prob, float(spacing))


@functools.lru_cache(maxsize=8)
def heldout_labels(spacing: float = 1.0) -> np.ndarray:
    """Held-out anatomy for test sets: ``int64 (X, Y, Z)`` labels 0..3 of the slab."""
    prob = tissue_probabilities()[..., heldout_z()]
    return _to_labels(prob, float(spacing))


# --------------------------------------------------------------------------- label maps
# Shared by the brain domains (neuro-MRI, CT, PET): training anatomy as torch label maps and a
# shell of non-brain labels around it (SynthSeg generates non-brain tissue and drops it from
# the target).


def fit(vol, size):
    """Centre crop / zero pad a spatial tensor ``vol`` to ``size``; returns ``(1, 1, *size)``."""
    import torch.nn.functional as F

    out = vol
    for axis, n in enumerate(size):
        cur = out.shape[axis]
        if cur > n:
            out = out.narrow(axis, (cur - n) // 2, n)
        elif cur < n:
            before = (n - cur) // 2
            pad = [0, 0] * out.dim()
            k = out.dim() - 1 - axis
            pad[2 * k], pad[2 * k + 1] = before, n - cur - before
            out = F.pad(out, pad)
    return out[None, None]


def training_label_maps(*, batch: int, size, dims: int, spacing: float, generator):
    """Training anatomy (held-out slab excluded) as ``int64 (B, 1, *size)`` labels 0..3 at
    ``spacing`` mm, centre cropped/padded; ``dims=2`` gives random axial slices (those whose
    brain area is at least a quarter of the largest)."""
    import torch

    vol = torch.from_numpy(training_labels(spacing)).to(generator.device)
    if dims == 3:
        return fit(vol, size).expand(batch, 1, *size).clone()
    area = (vol > 0).flatten(0, 1).sum(0).float()
    usable = torch.nonzero(area >= 0.25 * area.max()).flatten()
    pick = torch.randint(len(usable), (batch,), generator=generator, device=generator.device)
    return torch.stack([fit(vol[..., int(usable[k])], size)[0] for k in pick])


def add_shell(labels, *, n_extra: int, spacing: float, generator, width=(2, 12),
              skull_label: int | None = None, skull_width=(3, 9)):
    """Fill a shell of random width (``width`` mm, drawn per sample) around the brain
    (labels > 0) of ``labels`` ``int64 (B, 1, *spatial)`` with ``n_extra`` random shapes
    (:func:`~synthzoo.generators.labels.noise_shapes`), labelled ``len(LABEL_NAMES) ..``.

    With ``skull_label``, a layer of ``skull_width`` mm directly around the brain gets that
    label and the shapes fill the shell beyond it (the skull of CT and PET heads)."""
    import torch
    import torch.nn.functional as F

    from synthzoo.generators.labels import noise_shapes

    if n_extra == 0 and skull_label is None:
        return labels
    d = labels.dim() - 2
    B = labels.shape[0]
    dev = generator.device
    brain = (labels > 0).float()
    pool = F.max_pool2d if d == 2 else F.max_pool3d

    def dilate(mask, r):  # a cube dilation, separable: one 1D max-pool per axis
        for axis in range(d):
            k = [1] * d
            k[axis] = 2 * r + 1
            pad = [0] * d
            pad[axis] = r
            mask = pool(mask, kernel_size=tuple(k), stride=1, padding=tuple(pad))
        return mask > 0

    extra = None
    if n_extra > 0:
        extra = noise_shapes(batch=B, size=labels.shape[2:], n_labels=n_extra,
                             generator=generator) + len(LABEL_NAMES)
    out = []
    for b in range(B):
        lab = labels[b : b + 1]
        r = int(torch.randint(int(width[0]), int(width[1]), (), generator=generator, device=dev))
        r = max(1, int(r / spacing))
        skull = torch.zeros_like(lab, dtype=torch.bool)
        if skull_label is not None:
            s = int(torch.randint(int(skull_width[0]), int(skull_width[1]), (), generator=generator,
                                  device=dev))
            s = max(1, int(round(s / spacing)))
            skull = dilate(brain[b : b + 1], s) & (lab == 0)
            lab = torch.where(skull, torch.full_like(lab, skull_label), lab)
            r = r + s
        if extra is not None:
            head = dilate(brain[b : b + 1], r) & (lab == 0)
            lab = torch.where(head, extra[b : b + 1], lab)
        out.append(lab)
    return torch.cat(out)


def head_label_maps(*, batch: int, size, dims: int, spacing: float, n_extra: int, generator,
                    skull_label: int | None = None):
    """:func:`training_label_maps` with a non-brain shell from :func:`add_shell`."""
    labels = training_label_maps(batch=batch, size=size, dims=dims, spacing=spacing,
                                 generator=generator)
    return add_shell(labels, n_extra=n_extra, spacing=spacing, generator=generator,
                     skull_label=skull_label)


def suggested_spacing(size: int, dims: int) -> float:
    """Spacing (mm) at which the brain fits in ``size`` voxels."""
    import math

    return max(1.0, math.ceil(2 * 200 / size) / 2)


SKULL = len(LABEL_NAMES)  # generation label of the skull layer (ct, pet)


class SkullHead:
    """Mixin for brain generators (``ct``, ``pet``) whose generation labels are the tissue
    classes, a skull layer (label :data:`SKULL`) and ``n_extra`` non-brain shapes; the target
    keeps the tissue classes.  The class sets ``n_extra`` and ``spacing``."""

    n_extra: int
    spacing: float
    suggested_spacing = staticmethod(suggested_spacing)

    @staticmethod
    def head_target_lut(n_extra: int) -> list[int]:
        return list(range(SKULL)) + [0] * (1 + n_extra)

    def default_labels(self, *, batch: int = 1, size=64, dims: int = 3, generator):
        """Training anatomy (held-out slab excluded; 2D: random axial slices) with a skull
        layer and ``n_extra`` non-brain shapes around it, ``int64 (B, 1, *size)``."""
        from synthzoo.generators.base import as_size

        return head_label_maps(batch=batch, size=as_size(size, dims), dims=dims,
                               spacing=self.spacing, n_extra=self.n_extra, generator=generator,
                               skull_label=SKULL)
