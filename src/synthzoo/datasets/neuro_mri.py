"""``neuro-contrasts``: held-out whole-head anatomy imaged by MRI signal equations, CT, PET,
and the real MNI152 T1 template.

Anatomy: the held-out subjects 16-20 of ``synthseg-20`` (:mod:`synthzoo.anatomy`; no zoo model
trains on them; read only through ``heldout_volume``), case ``k`` of contrast ``c`` imaging
subject ``heldout[(c + k) % 5]``, so anatomy and contrast are both unseen.  Each of the 54
labels is a physical tissue (brain tissue, CSF, skull, marrow, scalp fat, muscle/soft tissue,
eyes, air cavities; from the source's manifest); tissue *fractions* are the label masks
averaged over each grid voxel (partial volume) at ``spacing = 240 / size`` mm.  Targets:
``labels`` 0 background (incl. the whole head outside the brain), 1 CSF, 2 GM, 3 WM (deep grey
structures count as GM, ventricles as CSF: the source's ``tissue`` table, majority per grid
voxel), and ``brain`` (a brain mask: brain tissue and CSF, for skull stripping).

MRI (BrainWeb T1/T2/PD at 1.5 T, Collins et al. 1998; approximate 3 T values, Wansapura
et al. 1999 / Stanisz et al. 2005), with smooth +-3 % tissue-parameter variation:

* spoiled gradient echo ``S = PD sin(a)(1-E1) exp(-TE/T2*) / (1 - cos(a) E1)``, ``E1 = exp(-TR/T1)``
* spin echo ``S = PD (1 - exp(-TR/T1)) exp(-TE/T2)`` (T2w and PDw)
* inversion recovery / FLAIR ``S = |PD (1 - 2 exp(-TI/T1) + exp(-TR/T1)) exp(-TE/T2)|``

then slice-profile blur and sampling at the acquisition voxel size (thick slices for 2D
sequences), a coil-like receive bias (root-sum-of-squares of 8 element sensitivities around
the head), complex Gaussian noise and the magnitude (Rician), and linear interpolation back to
the label grid.  CT: Hounsfield units (air -1000, fat -80, CSF 15, WM 25, GM 40, muscle 50,
marrow 300, bone 1000), 5 mm slices, correlated quantum noise.  PET (FDG): uptake GM:WM 4:1,
PSF FWHM 4-6 mm, 2 mm voxels, Poisson counts, 2 mm post-filter.  ``mni152-t1``: the real
template T1 on the held-out slab of the MNI152 template (skull-stripped; its labels are the
template's tissue classes).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from synthzoo.datasets.base import CaseSpec, CaseWriter, TestSetBuilder, rng
from synthzoo.generators.domains.ct import TISSUE_HU
from synthzoo.generators.domains.pet import TISSUE_FDG
from synthzoo.generators.physics import anatomy

# physical tissues of the simulation (the "physical" column of the anatomy manifest)
TISSUES = ("air", "csf", "gray_matter", "white_matter", "bone", "marrow", "fat", "muscle", "fluid")
# (T1 ms, T2 ms, PD); BrainWeb 1.5 T values, approximate 3 T values; fat/marrow/muscle/fluid
# from Stanisz et al. 2005 and Gold et al. 2004 (approximate)
RELAX = {
    1.5: {"air": (1.0, 1.0, 0.0), "csf": (2569, 329, 1.0), "gray_matter": (833, 83, 0.86),
          "white_matter": (500, 70, 0.77), "bone": (300, 1.0, 0.05), "marrow": (400, 60, 0.9),
          "fat": (350, 70, 1.0), "muscle": (870, 47, 0.7), "fluid": (3000, 500, 1.0)},
    3.0: {"air": (1.0, 1.0, 0.0), "csf": (3500, 350, 1.0), "gray_matter": (1331, 110, 0.86),
          "white_matter": (832, 80, 0.77), "bone": (350, 1.0, 0.05), "marrow": (450, 55, 0.9),
          "fat": (380, 70, 1.0), "muscle": (1420, 32, 0.7), "fluid": (3500, 500, 1.0)},
}
HU = TISSUE_HU  # textbook values, the same the narrow CT baseline is trained on
FDG = TISSUE_FDG  # FDG uptake relative to white matter, as the narrow PET baseline's scan

CONTRASTS: dict[str, dict[str, Any]] = {
    "t1w-gre-1.5t": {"modality": "mri", "sequence": "spoiled-gre", "field_t": 1.5, "tr": 20.0, "te": 4.0,
                     "flip_deg": 25.0, "voxel_mm": [1.0, 1.0, 1.2], "snr": [20.0, 40.0]},
    "t1w-gre-3t": {"modality": "mri", "sequence": "spoiled-gre", "field_t": 3.0, "tr": 10.0, "te": 3.0,
                   "flip_deg": 15.0, "voxel_mm": [1.0, 1.0, 1.0], "snr": [25.0, 50.0]},
    "t2w-se-1.5t": {"modality": "mri", "sequence": "spin-echo", "field_t": 1.5, "tr": 4000.0, "te": 100.0,
                    "voxel_mm": [0.9, 0.9, 5.0], "snr": [15.0, 30.0]},
    "t2w-se-3t": {"modality": "mri", "sequence": "spin-echo", "field_t": 3.0, "tr": 5000.0, "te": 100.0,
                  "voxel_mm": [0.5, 0.5, 4.0], "snr": [20.0, 40.0]},
    "pdw-se-1.5t": {"modality": "mri", "sequence": "spin-echo", "field_t": 1.5, "tr": 3000.0, "te": 15.0,
                    "voxel_mm": [1.0, 1.0, 3.0], "snr": [20.0, 40.0]},
    "flair-3t": {"modality": "mri", "sequence": "inversion-recovery", "field_t": 3.0, "tr": 9000.0,
                 "te": 120.0, "ti": 2500.0, "voxel_mm": [1.0, 1.0, 5.0], "snr": [12.0, 25.0]},
    "ct": {"modality": "ct", "voxel_mm": [0.5, 0.5, 5.0], "noise_hu": [3.0, 8.0]},
    "pet-fdg": {"modality": "pet", "voxel_mm": [2.0, 2.0, 2.0], "psf_fwhm_mm": [4.0, 6.0],
                "gm_counts": [20.0, 60.0], "postfilter_fwhm_mm": 2.0},
    "mni152-t1": {"modality": "real", "source": "MNI ICBM152 2009a T1 template (nilearn)"},
}


SOURCE = "synthseg-20"


def grid_spacing(size: int) -> float:
    return max(1.0, 240.0 / size)


def _pool(mask: np.ndarray, spacing: float) -> np.ndarray:
    """Fraction of each ``spacing`` mm grid voxel covered by a 1 mm ``mask`` (area averaging)."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None, None]
    shape = [max(1, round(n / spacing)) for n in mask.shape]
    return F.adaptive_avg_pool3d(x, shape)[0, 0].numpy()


@functools.lru_cache(maxsize=5)
def subject_fractions(subject: str, spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Physical-tissue fractions ``float32 (len(TISSUES), X, Y, Z)``, tissue labels ``uint8``
    (0 bg, 1 CSF, 2 GM, 3 WM) and brain mask ``uint8`` of held-out ``subject`` at ``spacing`` mm.
    Cached: treat the arrays as read-only."""
    from synthzoo.anatomy import get_source

    src = get_source(SOURCE)
    vol = src.heldout_volume(subject)
    phys_of = np.asarray([TISSUES.index(p) for p in src.physical], np.uint8)
    phys = phys_of[vol]
    frac = np.stack([_pool(phys == t, spacing) for t in range(len(TISSUES))])
    names, tissue_lut = src.target("tissue")
    # brain tissue classes are physical tissues of the same name (checked on the label table),
    # so their fractions are already in ``frac``; only the background is pooled again
    for k, name in enumerate(names[1:], 1):
        if not np.array_equal(tissue_lut == k, phys_of == TISSUES.index(name)):
            raise ValueError(f"{SOURCE}: tissue class {name!r} is not the physical tissue {name!r}")
    tfrac = np.stack([_pool(tissue_lut[vol] == 0, spacing)] + [frac[TISSUES.index(n)] for n in names[1:]])
    labels = tfrac.argmax(0).astype(np.uint8)
    brain = (tfrac[1:].sum(0) > 0.5).astype(np.uint8)
    for a in (frac, labels, brain):
        a.flags.writeable = False
    return frac, labels, brain


@functools.lru_cache(maxsize=2)
def mni_case(spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The real MNI152 T1 on its held-out slab at ``spacing`` mm, its tissue labels and brain mask."""
    from scipy import ndimage

    z = anatomy.heldout_z()
    prob = anatomy.tissue_probabilities()[..., z]
    t1 = anatomy.template_t1()[..., z]
    f = anatomy.TEMPLATE_SPACING / spacing
    if f != 1:
        prob = np.stack([ndimage.zoom(p, f, order=1) for p in prob])
        t1 = ndimage.zoom(t1, f, order=1)
    labels = prob.argmax(0).astype(np.uint8)
    return t1.astype(np.float32), labels, (labels > 0).astype(np.uint8)


def _smooth_field(shape: tuple[int, ...], r: np.random.Generator, sigma: float) -> np.ndarray:
    """Unit-variance Gaussian-filtered white noise (sigma in voxels), drawn on a grid coarser
    by ``sigma // 2`` (at least 2 grid points per sigma) and interpolated linearly: the same
    spectrum (autocorrelation within 0.04 of a full-grid filter's at every lag, 160^3 at sigma
    5.3) in a sixth of the time."""
    import torch
    import torch.nn.functional as F
    from scipy import ndimage

    k = max(1, int(sigma // 2))
    small = tuple(max(2, -(-n // k)) for n in shape)
    g = ndimage.gaussian_filter(r.standard_normal(small), sigma / k, mode="reflect").astype(np.float32)
    f = F.interpolate(torch.from_numpy(g)[None, None], size=tuple(shape), mode="trilinear",
                      align_corners=False)[0, 0].numpy()
    return (f / max(float(f.std()), 1e-8)).astype(np.float32)


def _tissue_map(frac: np.ndarray, values: list[float], r: np.random.Generator, var: float, sigma: float) -> np.ndarray:
    """Partial-volume mix ``sum_k frac_k * value_k * (1 + var * field_k)``."""
    out = np.zeros(frac.shape[1:], np.float32)
    for k, v in enumerate(values):
        if v == 0:
            continue
        out += frac[k] * v * (1.0 + var * _smooth_field(frac.shape[1:], r, sigma))
    return out


def mri_signal(frac: np.ndarray, p: dict[str, Any], r: np.random.Generator, sigma: float) -> np.ndarray:
    """Noise-free MRI signal of the tissue mixture for the sequence in ``p``."""
    table = RELAX[p["field_t"]]
    t1 = _tissue_map(frac, [table[t][0] for t in TISSUES], r, 0.03, sigma)
    t2 = _tissue_map(frac, [table[t][1] for t in TISSUES], r, 0.03, sigma)
    pd = _tissue_map(frac, [table[t][2] for t in TISSUES], r, 0.03, sigma)
    t1, t2 = np.maximum(t1, 1.0), np.maximum(t2, 0.5)
    e1 = np.exp(-p["tr"] / t1)
    if p["sequence"] == "spoiled-gre":
        a = np.deg2rad(p["flip_deg"])
        return pd * np.sin(a) * (1 - e1) * np.exp(-p["te"] / (0.8 * t2)) / (1 - np.cos(a) * e1)
    if p["sequence"] == "spin-echo":
        return pd * (1 - e1) * np.exp(-p["te"] / t2)
    if p["sequence"] == "inversion-recovery":
        return np.abs(pd * (1 - 2 * np.exp(-p["ti"] / t1) + e1) * np.exp(-p["te"] / t2))
    raise ValueError(f"unknown MRI sequence {p['sequence']!r}; valid: spoiled-gre, spin-echo, inversion-recovery")


def coil_bias(shape: tuple[int, ...], spacing: float, r: np.random.Generator, strength: float) -> np.ndarray:
    """Root-sum-of-squares of 8 Gaussian-falloff coil sensitivities on a ring around the head,
    mixed with a flat profile (``strength`` in [0, 1]) and normalised to mean 1."""
    x, y, z = (np.arange(n, dtype=np.float32) * spacing for n in shape)
    cx, cy, cz = (n * spacing / 2 for n in shape)
    X, Y, Z = np.meshgrid(x - cx, y - cy, z - cz, indexing="ij")
    rss = np.zeros(shape, np.float32)
    phase = r.uniform(0, 2 * np.pi)
    width = r.uniform(70, 110)
    for k in range(8):
        ang = phase + 2 * np.pi * k / 8
        px, py, pz = 120 * np.cos(ang), 120 * np.sin(ang), r.uniform(-30, 30)
        rss += np.exp(-((X - px) ** 2 + (Y - py) ** 2 + (Z - pz) ** 2) / (2 * width ** 2)) ** 2
    rss = np.sqrt(rss)
    bias = (1 - strength) + strength * rss / rss.mean()
    return (bias / bias.mean()).astype(np.float32)


def acquire(signal: np.ndarray, spacing: float, voxel_mm: list[float], fn=None) -> np.ndarray:
    """Blur with the slice/voxel profile, sample at the acquisition voxel size, apply ``fn``
    (noise) there, and interpolate back linearly to the grid."""
    from scipy import ndimage

    vox = np.maximum(np.asarray(voxel_mm, dtype=float), spacing)
    sig = np.where(vox > spacing, vox / spacing / 2.355, 0.0)
    low = ndimage.gaussian_filter(signal, sig) if sig.any() else signal
    factors = spacing / vox
    if np.any(factors < 1):
        low = ndimage.zoom(low, factors, order=1)
    if fn is not None:
        low = fn(low)
    if low.shape != signal.shape:
        low = ndimage.zoom(low, np.array(signal.shape) / np.array(low.shape), order=1, mode="nearest")
    return low.astype(np.float32)


def ct_image(frac: np.ndarray, p: dict[str, Any], r: np.random.Generator, sp: float,
             sigma: float) -> tuple[np.ndarray, dict[str, Any]]:
    """Head CT of a protocol ``p``: textbook HU per tissue with texture, optional beam-hardening
    cupping (``cupping_hu``: a smooth dip toward the head's centre), the acquisition grid
    ``voxel_mm``, correlated quantum noise (``noise_hu``, correlation ``noise_corr_vox``), an
    optional sharp reconstruction kernel (``sharpen``: unsharp-mask gain) and an optional
    display window (``window``: level, width -> [0, 1], as exported slices are)."""
    from scipy import ndimage

    hu = _tissue_map(frac, [HU[t] + 1000.0 for t in TISSUES], r, 0.01, sigma) - 1000.0
    nsd = float(r.uniform(*p["noise_hu"]))
    drawn: dict[str, Any] = {"noise_hu": nsd}
    if "cupping_hu" in p:
        depth = float(r.uniform(*p["cupping_hu"]))
        head = frac[TISSUES.index("air")] < 0.5
        inside = ndimage.distance_transform_edt(head)
        hu = hu - depth * (inside / max(float(inside.max()), 1e-6)) ** 2 * head
        drawn["cupping_hu"] = depth
    corr = float(p.get("noise_corr_vox", 0.7))

    def ct_noise(low: np.ndarray) -> np.ndarray:
        n = ndimage.gaussian_filter(r.standard_normal(low.shape), corr)
        out = low + nsd * n / max(n.std(), 1e-8)
        if p.get("sharpen"):
            out = out + float(p["sharpen"]) * (out - ndimage.gaussian_filter(out, 1.0))
        return out

    image = acquire(hu, sp, p["voxel_mm"], ct_noise)
    if "window" in p:
        level, width = (float(x) for x in p["window"])
        image = np.clip((image - (level - width / 2)) / width, 0.0, 1.0).astype(np.float32)
    return image, drawn


def pet_image(frac: np.ndarray, p: dict[str, Any], r: np.random.Generator, sp: float,
              sigma: float) -> tuple[np.ndarray, dict[str, Any]]:
    """Brain PET of a scan ``p``: tracer uptake per tissue (FDG unless ``uptake`` overrides
    tissues, relative to white matter = 1), scanner PSF (``psf_fwhm_mm``), the reconstruction
    grid ``voxel_mm``, Poisson counts (``gm_counts`` expected in grey matter) and a
    post-reconstruction filter (``postfilter_fwhm_mm``)."""
    from scipy import ndimage

    uptake = {**FDG, **p.get("uptake", {})}
    act = _tissue_map(frac, [uptake[t] for t in TISSUES], r, 0.05, sigma)
    fwhm = float(r.uniform(*p["psf_fwhm_mm"]))
    act = ndimage.gaussian_filter(act, fwhm / 2.355 / sp)
    scale = float(r.uniform(*p["gm_counts"])) / uptake["gray_matter"]

    def counts(low: np.ndarray) -> np.ndarray:
        c = r.poisson(np.maximum(low, 0) * scale) / scale
        return ndimage.gaussian_filter(c, p["postfilter_fwhm_mm"] / 2.355 / max(sp, 2.0))

    image = acquire(act, sp, p["voxel_mm"], counts)
    return image, {"psf_fwhm_mm": fwhm, "counts_per_unit_uptake": scale}


class NeuroContrasts(TestSetBuilder):
    """Held-out heads (synthseg-20 subjects 16-20): MRI (GRE T1w, SE T2w/PDw, FLAIR at 1.5/3 T), CT, FDG PET; real MNI152 T1."""

    name = "neuro-contrasts"
    version = 2  # 2: smooth tissue fields drawn on a coarser grid (:func:`_smooth_field`)
    domain = "neuro-mri"
    dims = 3
    description = ("Held-out whole heads (synthseg-20 subjects 16-20) imaged with MRI signal equations "
                   "(1.5 T/3 T), CT and FDG PET, plus the real MNI152 T1 template")
    method = ("partial-volume fractions of 9 physical tissues of held-out label maps; MRI: BrainWeb "
              "T1/T2/PD, GRE/SE/IR signal equations, slice profile + thick slices, coil bias, Rician "
              "noise; CT in HU with correlated noise; PET: FDG uptake, PSF, Poisson counts")
    label_names = anatomy.LABEL_NAMES
    extra_targets = {"brain": anatomy.BRAIN_NAMES}
    contrasts = tuple(CONTRASTS)
    contrast_table = CONTRASTS
    license = ("synthseg-20 label maps: Apache-2.0 (Billot et al. 2023); MNI152 case: " + anatomy.LICENSE)
    anatomy_source = (f"synthseg-20 held-out subjects 16-20 (synthzoo.anatomy); mni152-t1: MNI ICBM152 "
                      f"2009a held-out axial slab z={anatomy.HELDOUT_Z[0]}:{anatomy.HELDOUT_Z[1]}")
    references = ("Collins et al. 1998, IEEE TMI 17:463 (BrainWeb)",
                  "Billot et al. 2023, Medical Image Analysis 86:102789 (SynthSeg label maps)",
                  "Fonov et al. 2011, NeuroImage 54:313 (MNI ICBM152 2009)",
                  "Gudbjartsson & Patz 1995, MRM 34:910 (Rician noise)")
    default_size = 160
    default_cases = 2
    quick_size = 48
    min_size = 32
    max_size = 240  # the grid is 240 / size mm, at least 1 mm (the anatomy's own resolution)
    seed_base = 20_000_000

    def plan(self, *, size: int, cases: int, seed: int) -> list[CaseSpec]:
        """``cases`` per contrast; case ``k`` of contrast ``c`` images held-out subject
        ``heldout[(c + k) % 5]`` (the MNI152 case has one anatomy)."""
        from synthzoo.anatomy import get_source

        held = get_source(SOURCE).heldout
        out = []
        for spec in super().plan(size=size, cases=cases, seed=seed):
            ci, k = self.contrasts.index(spec.contrast), int(spec.name.rsplit("-", 1)[1])
            params = dict(spec.params)
            if params["modality"] == "real":
                if k > 0:  # one template: one case
                    continue
            else:
                params["subject"] = held[(ci + k) % len(held)]
            out.append(CaseSpec(spec.name, spec.contrast, spec.seed, params))
        return out

    def write_case(self, spec: CaseSpec, writer: CaseWriter, *, size: int, workers: int = 1) -> dict[str, Any]:
        sp = grid_spacing(size)
        p = dict(spec.params)
        r = rng(spec.seed)
        drawn: dict[str, Any] = {}
        if p["modality"] == "real":
            image, labels, brain = mni_case(sp)
        else:
            frac, labels, brain = subject_fractions(p["subject"], sp)
        sigma = 8.0 / sp
        if p["modality"] == "mri":
            s = mri_signal(frac, p, r, sigma)
            ref = float(s[brain > 0].mean())
            strength = float(r.uniform(0.3, 0.5) if p["field_t"] < 2 else r.uniform(0.5, 0.8))
            bias = coil_bias(s.shape, sp, r, strength)
            snr = float(r.uniform(*p["snr"]))
            noise_sd = ref / snr

            def rician(low: np.ndarray) -> np.ndarray:
                return np.hypot(low + r.normal(0, noise_sd, low.shape), r.normal(0, noise_sd, low.shape))

            image = acquire(s * bias, sp, p["voxel_mm"], rician) / ref
            drawn = {"snr": snr, "bias_strength": strength, "noise_sd_rel": 1 / snr}
        elif p["modality"] == "ct":
            image, drawn = ct_image(frac, p, r, sp, sigma)
        elif p["modality"] == "pet":
            image, drawn = pet_image(frac, p, r, sp, sigma)
        elif p["modality"] != "real":
            raise ValueError(f"{spec.name}: unknown modality {p['modality']!r}")
        writer.put("image", np.asarray(image, np.float32))
        writer.put("labels", np.asarray(labels))
        writer.put("brain", np.asarray(brain))
        return {"spacing": [sp] * 3, "spacing_unit": self.spacing_unit, "axes": "xyz", "orientation": "RAS",
                "units": p.get("units") or {"mri": "signal / mean brain signal", "ct": "HU",
                                            "pet": "uptake (GM = 4)",
                                            "real": "template intensity [0, 1]"}[p["modality"]],
                "simulator": f"synthzoo.datasets.neuro_mri ({p['modality']})",
                "parameters": {**p, **drawn, "grid_spacing_mm": sp},
                "anatomy": (f"synthseg-20 subject {p['subject']}" if "subject" in p else
                            f"MNI152 slab z={anatomy.HELDOUT_Z[0]}:{anatomy.HELDOUT_Z[1]}")}
