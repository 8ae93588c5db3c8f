"""``synthseg-20``: the 20 whole-head label maps SynthSeg ships for training.

Billot et al., "SynthSeg: Segmentation of brain MRI scans of any contrast and resolution
without retraining", Medical Image Analysis 2023 (Apache-2.0).  256^3 at 1 mm, FreeSurfer brain
labels plus SynthSeg's non-brain labels 502-530 (skull, scalp, eyes, soft tissue, ...), 54
label values in all.  Subjects 01-15 train, 16-20 are held out for test sets.

Files are fetched and verified by :func:`synthzoo._fetch.fetch_file` (cache, mirror folders
such as ``$SYNTHZOO_MIRROR``, then the pinned upstream URLs; sha256 from the manifest
``synthseg-20.json`` in this package).  Each file is decompressed once into a compact cache
entry: ``uint8`` label indices, RAS+, cropped to the head's bounding box (``.npy``, about 10 MB
a subject), so drawing slices or crops costs no NIfTI decoding.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from synthzoo._fetch import FetchError, cache_root, fetch_file
from synthzoo._io import atomic_write
from synthzoo.anatomy.base import AnatomyError, AnatomySource
from synthzoo.anatomy.mni152 import BRAIN_NAMES, LABEL_NAMES

MANIFEST = json.loads((Path(__file__).parent / "synthseg-20.json").read_text())
TISSUE_NAMES = LABEL_NAMES
MARGIN = 2  # voxels kept around the head's bounding box


def _tissue_lut() -> tuple[int, ...]:
    return tuple(TISSUE_NAMES.index(lab["tissue"]) for lab in MANIFEST["labels"])


class SynthSeg20(AnatomySource):
    """20 whole-head label maps (FreeSurfer brain structures + non-brain labels), SynthSeg."""

    name = "synthseg-20"
    description = MANIFEST["description"]
    license = MANIFEST["license"]
    citation = MANIFEST["citation"]
    spacing = float(MANIFEST["spacing_mm"])
    label_values = tuple(int(lab["value"]) for lab in MANIFEST["labels"])
    label_names = tuple(lab["name"] for lab in MANIFEST["labels"])
    physical = tuple(lab["physical"] for lab in MANIFEST["labels"])
    subjects = tuple(MANIFEST["files"])
    heldout = tuple(MANIFEST["heldout"])
    outer_csf = (24,)  # FreeSurfer "CSF": the extra-cerebral and sulcal CSF
    targets = {
        "tissue": (TISSUE_NAMES, _tissue_lut()),
        "brain": (BRAIN_NAMES, tuple(int(t > 0) for t in _tissue_lut())),
    }

    def raw_file(self, subject: str, *, offline: bool = False) -> Path:
        """The verified ``.nii.gz`` of ``subject`` (fetched if needed)."""
        f = MANIFEST["files"][subject]
        try:
            return fetch_file(f["name"], f["sha256"], collection=f"anatomy/{self.name}",
                              urls=f["urls"], offline=offline)
        except FetchError as exc:
            raise AnatomyError(f"anatomy {self.name!r}, subject {subject}: {exc}") from None

    def compact_path(self, subject: str) -> Path:
        sha = MANIFEST["files"][subject]["sha256"]
        return cache_root() / "anatomy" / self.name / f"{subject}-{sha[:16]}-ras-u8.npy"

    def _load(self, subject: str, *, offline: bool = False) -> np.ndarray:
        return _compact(self, subject, offline)

    def decode(self, path: Path) -> np.ndarray:
        """Label indices ``uint8 (X, Y, Z)`` RAS+ of a label-map file, cropped to the head."""
        import nibabel as nib

        try:
            img = nib.as_closest_canonical(nib.load(str(path)))
            raw = np.asarray(img.dataobj)
        except Exception as exc:
            raise AnatomyError(f"{path}: cannot read label map ({type(exc).__name__}: {exc})") from None
        vals = np.asarray(self.label_values)
        lab = np.rint(raw).astype(np.int64)
        idx = np.searchsorted(vals, lab).clip(0, len(vals) - 1)
        bad = vals[idx] != lab
        if bad.any():
            raise AnatomyError(f"{path}: label values {sorted(set(lab[bad].tolist()))[:8]} are not in "
                               f"the {self.name} label table")
        idx = idx.astype(np.uint8)
        nz = np.nonzero(idx)
        lo = [max(0, int(a.min()) - MARGIN) for a in nz]
        hi = [min(n, int(a.max()) + 1 + MARGIN) for a, n in zip(nz, idx.shape)]
        return np.ascontiguousarray(idx[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]])


@functools.lru_cache(maxsize=32)
def _compact(source: SynthSeg20, subject: str, offline: bool) -> np.ndarray:
    path = source.compact_path(subject)
    if not path.is_file():
        vol = source.decode(source.raw_file(subject, offline=offline))
        atomic_write(path, lambda p: np.save(p, vol), shared=True)  # two runs may build it at once
    try:
        vol = np.load(path)  # read whole (~10 MB): a memory map would break if the file were replaced
    except Exception:
        path.unlink(missing_ok=True)  # a damaged cache entry (the raw file stays verified)
        return _compact.__wrapped__(source, subject, offline)
    if vol.dtype != np.uint8 or vol.ndim != 3 or int(vol.max()) >= len(source.label_values):
        path.unlink(missing_ok=True)
        return _compact.__wrapped__(source, subject, offline)
    return np.asarray(vol)
