"""``ct-head``: held-out whole heads imaged by head CT protocols the narrow baseline never saw.

Anatomy: the held-out subjects 16-20 of ``synthseg-20`` (:mod:`synthzoo.anatomy`), their
partial-volume tissue fractions as in :mod:`synthzoo.datasets.neuro_mri`; case ``k`` of contrast
``c`` images subject ``heldout[(c + k) % 5]``.  Image formation (:func:`~synthzoo.datasets.neuro_mri.ct_image`):
textbook Hounsfield units per physical tissue (air -1000, CSF 15, GM 40, WM 25, fat -80,
muscle 50, marrow 300, bone 1000), within-tissue texture, the protocol's acquisition grid
(in-plane pixel and slice thickness), quantum noise correlated as filtered back-projection
correlates it, and per protocol:

- ``brain-window``: standard dose, soft-tissue kernel, 5 mm slices, exported in the brain
  window 40/80 HU (what the narrow baseline is trained on);
- ``subdural-window-lowdose``: 1 mm slices at low dose (3x the noise), subdural window 75/215;
- ``hu-cupping``: stored in HU (as a DICOM-to-NIfTI conversion gives), 5 mm slices, an older
  scanner's beam-hardening cupping (the head's centre 10-25 HU darker);
- ``hu-bone-kernel``: stored in HU, 1 mm slices, a sharp (bone) kernel: edge enhancement and
  high, little-correlated noise.

Noise and kernel levels follow Barrett & Keat (RadioGraphics 2004) and Boas & Fleischmann
(Imaging Med. 2012); windows are the common clinical ones.  Labels: background, CSF, GM, WM
(the neuro tissue classes) and a ``brain`` mask per case.
"""

from __future__ import annotations

from typing import Any

from synthzoo.datasets.neuro_mri import NeuroContrasts

CONTRASTS: dict[str, dict[str, Any]] = {
    "brain-window": {"modality": "ct", "voxel_mm": [0.5, 0.5, 5.0], "noise_hu": [3.0, 8.0],
                     "window": [40.0, 80.0], "units": "brain window 40/80 HU -> [0, 1]"},
    "subdural-window-lowdose": {"modality": "ct", "voxel_mm": [0.5, 0.5, 1.0], "noise_hu": [12.0, 24.0],
                                "window": [75.0, 215.0], "units": "subdural window 75/215 HU -> [0, 1]"},
    "hu-cupping": {"modality": "ct", "voxel_mm": [0.5, 0.5, 5.0], "noise_hu": [3.0, 8.0],
                   "cupping_hu": [10.0, 25.0]},
    "hu-bone-kernel": {"modality": "ct", "voxel_mm": [0.5, 0.5, 1.0], "noise_hu": [20.0, 40.0],
                       "noise_corr_vox": 0.3, "sharpen": 1.0},
}


class HeadCT(NeuroContrasts):
    """Held-out heads (synthseg-20 subjects 16-20) imaged by four head-CT protocols."""

    name = "ct-head"
    domain = "ct"
    description = ("Held-out whole heads (synthseg-20 subjects 16-20) imaged by head CT: brain and "
                   "subdural windows, raw HU with cupping, a sharp bone kernel")
    method = ("partial-volume fractions of 9 physical tissues of held-out label maps; textbook HU, "
              "texture, acquisition grid (slice thickness), correlated quantum noise, cupping, "
              "sharp-kernel edge enhancement, display windows")
    contrasts = tuple(CONTRASTS)
    contrast_table = CONTRASTS
    license = "synthseg-20 label maps: Apache-2.0 (Billot et al. 2023)"
    anatomy_source = "synthseg-20 held-out subjects 16-20 (synthzoo.anatomy)"
    references = ("Billot et al. 2023, Medical Image Analysis 86:102789 (SynthSeg label maps)",
                  "Barrett & Keat 2004, RadioGraphics 24:1679 (CT artifacts)",
                  "Boas & Fleischmann 2012, Imaging Med. 4:229 (CT artifacts)")
    seed_base = 21_000_000
