"""``mni152-tissue``: brain tissue classes of the MNI ICBM152 2009c template that nilearn ships,
and the train/test split.

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

from synthzoo.anatomy.base import AnatomySource

LABEL_NAMES = ("background", "csf", "gray_matter", "white_matter")
#: the brain-mask target of every whole-head source (brain tissue and CSF are "brain")
BRAIN_NAMES = ("background", "brain")
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




class MNI152Tissue(AnatomySource):
    """MNI ICBM152 2009 template tissue classes (bg, CSF, GM, WM); split by an axial slab."""

    name = "mni152-tissue"
    description = ("MNI ICBM152 2009 template (nilearn): background, CSF, grey and white matter; "
                   "training = the template without the held-out axial slab")
    license = LICENSE
    citation = "Fonov et al., Unbiased average age-appropriate atlases for pediatric studies, NeuroImage 54:313, 2011"
    spacing = TEMPLATE_SPACING
    label_values = (0, 1, 2, 3)
    label_names = LABEL_NAMES
    subjects = ("train-slabs", "heldout-slab")
    heldout = ("heldout-slab",)
    targets = {"tissue": (LABEL_NAMES, (0, 1, 2, 3)), "brain": (BRAIN_NAMES, (0, 1, 1, 1))}

    def _load(self, subject: str, *, offline: bool = False) -> np.ndarray:
        fn = heldout_labels if subject == "heldout-slab" else training_labels
        return fn(1.0).astype(np.uint8)
