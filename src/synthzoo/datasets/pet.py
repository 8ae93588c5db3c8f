"""``pet-brain``: held-out whole heads imaged with PET tracers and scanners the narrow baseline
never saw.

Anatomy: the held-out subjects 16-20 of ``synthseg-20`` (:mod:`synthzoo.anatomy`), their
partial-volume tissue fractions as in :mod:`synthzoo.datasets.neuro_mri`; case ``k`` of contrast
``c`` images subject ``heldout[(c + k) % 5]``.  Image formation
(:func:`~synthzoo.datasets.neuro_mri.pet_image`): tracer uptake per physical tissue relative to
white matter, within-tissue heterogeneity, the scanner's point-spread function, the
reconstruction grid, Poisson counts and a post-reconstruction filter:

- ``fdg``: FDG (GM = 4 x WM), a current scanner (4-6 mm FWHM, 2 mm voxels; what the narrow
  baseline is trained on);
- ``fdg-older-scanner``: FDG on an older scanner (7-9 mm FWHM, 3 x 3 x 3.3 mm voxels, a third of
  the counts, a 4 mm post-filter);
- ``amyloid-negative``: an amyloid tracer in a negative scan: non-specific white-matter
  retention, cortex at 0.65 x WM (the grey/white contrast reversed);
- ``amyloid-positive``: cortical retention in a positive scan, cortex at 1.15 x WM (almost no
  grey/white contrast).

Uptake ratios follow FDG and amyloid PET literature (e.g. Klunk et al., Ann Neurol 2004, for
PiB); resolution per Moses (NIM A 2011).  Labels: background, CSF, GM, WM and a ``brain`` mask.
"""

from __future__ import annotations

from typing import Any

from synthzoo.datasets.neuro_mri import NeuroContrasts

_SCANNER = {"voxel_mm": [2.0, 2.0, 2.0], "psf_fwhm_mm": [4.0, 6.0], "gm_counts": [20.0, 60.0],
            "postfilter_fwhm_mm": 2.0}
CONTRASTS: dict[str, dict[str, Any]] = {
    "fdg": {"modality": "pet", "tracer": "fdg", **_SCANNER},
    "fdg-older-scanner": {"modality": "pet", "tracer": "fdg", "voxel_mm": [3.0, 3.0, 3.3],
                          "psf_fwhm_mm": [7.0, 9.0], "gm_counts": [7.0, 20.0], "postfilter_fwhm_mm": 4.0},
    "amyloid-negative": {"modality": "pet", "tracer": "amyloid", **_SCANNER,
                         "uptake": {"gray_matter": 0.65, "csf": 0.05, "marrow": 0.3, "muscle": 0.3},
                         "units": "uptake (WM = 1)"},
    "amyloid-positive": {"modality": "pet", "tracer": "amyloid", **_SCANNER,
                         "uptake": {"gray_matter": 1.15, "csf": 0.05, "marrow": 0.3, "muscle": 0.3},
                         "units": "uptake (WM = 1)"},
}


class BrainPET(NeuroContrasts):
    """Held-out heads (synthseg-20 subjects 16-20) imaged by FDG and amyloid PET."""

    name = "pet-brain"
    domain = "pet"
    description = ("Held-out whole heads (synthseg-20 subjects 16-20) imaged by PET: FDG on a "
                   "current and an older scanner, amyloid negative and positive")
    method = ("partial-volume fractions of 9 physical tissues of held-out label maps; tracer uptake "
              "per tissue, scanner PSF, reconstruction grid, Poisson counts, post-filter")
    contrasts = tuple(CONTRASTS)
    contrast_table = CONTRASTS
    license = "synthseg-20 label maps: Apache-2.0 (Billot et al. 2023)"
    anatomy_source = "synthseg-20 held-out subjects 16-20 (synthzoo.anatomy)"
    references = ("Billot et al. 2023, Medical Image Analysis 86:102789 (SynthSeg label maps)",
                  "Moses 2011, NIM A 648:S236 (PET resolution)",
                  "Klunk et al. 2004, Ann Neurol 55:306 (PiB amyloid PET)")
    seed_base = 22_000_000
