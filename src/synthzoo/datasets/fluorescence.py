"""``fluorescence-nuclei``: 3D fluorescence stacks of stained nuclei from a microscope model.

Specimen (labels 0 background, 1 nucleus): non-overlapping ellipsoids of random size and
orientation with boundaries roughened by a smooth noise field (a packing recipe and seed range
unlike any training generator), filled with a chromatin-textured dye density, dimmer
nucleoli, and a per-nucleus brightness (cell-cycle variation).

Image formation on an isotropic grid, then sampled with the contrast's z step (anisotropic
voxels): the object is convolved with a Gaussian approximation of the PSF (Zhang et al. 2007),
elongated along z; widefield adds an out-of-focus haze (broad PSF component); light-sheet adds
absorption stripes (excitation attenuated along x by the dye it has crossed).  Photon counts are
Poisson, the camera adds offset and Gaussian read noise.  Values are camera counts (ADU).
References: Zhang, Zerubia & Olivo-Marin, "Gaussian approximations of fluorescence microscope
point-spread function models", Applied Optics 46:1819 (2007); Huisken et al. 2004 (SPIM).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthzoo.datasets.base import CaseSpec, CaseWriter, TestSetBuilder, rng

CONTRASTS = {
    "widefield": {"psf_sigma_xy": 1.6, "psf_sigma_z": 4.0, "haze": 0.35, "z_step": 3, "photons": 300.0,
                  "background": 20.0, "read_noise": 6.0, "stripes": 0.0},
    "confocal": {"psf_sigma_xy": 1.0, "psf_sigma_z": 2.6, "haze": 0.0, "z_step": 2, "photons": 40.0,
                 "background": 2.0, "read_noise": 3.0, "stripes": 0.0},
    "light-sheet": {"psf_sigma_xy": 1.2, "psf_sigma_z": 2.0, "haze": 0.05, "z_step": 2, "photons": 150.0,
                    "background": 8.0, "read_noise": 2.0, "stripes": 0.6},
}
PIXEL_UM = 0.25
OFFSET = 100.0


def nuclei(shape: tuple[int, int, int], r: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Instance ids ``uint16 (Z, Y, X)`` (0 background, one id per nucleus; the labels are
    ``ids > 0``) and dye density ``float32 (Z, Y, X)`` of a specimen."""
    from scipy import ndimage
    from scipy.spatial.transform import Rotation

    nz, ny, nx = shape
    zz, yy, xx = np.meshgrid(*(np.arange(n, dtype=np.float32) for n in shape), indexing="ij")
    rough = ndimage.gaussian_filter(r.standard_normal(shape), 2.0)
    rough = 0.12 * rough / max(rough.std(), 1e-8)
    chroma = ndimage.gaussian_filter(r.standard_normal(shape), 1.0)
    chroma = 1.0 + 0.35 * chroma / max(chroma.std(), 1e-8)
    labels = np.zeros(shape, np.uint16)
    dens = np.zeros(shape, np.float32)
    placed: list[tuple[np.ndarray, float]] = []
    base = min(ny, nx) / 9
    for _ in range(400):
        radii = base * r.uniform(0.7, 1.3) * np.array([r.uniform(0.6, 0.85), r.uniform(0.8, 1.0), r.uniform(1.0, 1.4)])
        c = r.uniform([radii[0] * 0.5, 0, 0], [nz - radii[0] * 0.5, ny, nx])
        if any(np.linalg.norm(c - pc) < 0.95 * (radii.mean() + pr) for pc, pr in placed):
            continue
        placed.append((c, radii.mean()))
        # spin about z (axis 0) and a small tilt: nuclei lie flat on the coverslip
        rot = Rotation.from_euler("xyz", [r.uniform(0, np.pi), *r.uniform(-0.2, 0.2, 2)]).as_matrix()
        lo = np.maximum(0, (c - radii.max() - 2).astype(int))
        hi = np.minimum(shape, (c + radii.max() + 3).astype(int))
        sl = tuple(slice(a, b) for a, b in zip(lo, hi))
        d = np.stack([zz[sl] - c[0], yy[sl] - c[1], xx[sl] - c[2]], -1) @ rot
        f = ((d / radii) ** 2).sum(-1) + rough[sl]
        inside = (f <= 1) & (labels[sl] == 0)
        bright = r.uniform(0.5, 1.5)
        nucleoli = np.zeros(inside.shape, bool)
        for _ in range(int(r.integers(1, 4))):
            o = r.normal(0, 0.35, 3) * radii
            nucleoli |= (((d - o) / (0.2 * radii.mean())) ** 2).sum(-1) <= 1
        labels[sl][inside] = len(placed)
        dens[sl][inside] = (bright * chroma[sl] * np.where(nucleoli, 0.3, 1.0))[inside]
        if len(placed) >= 60:
            break
    return labels, np.clip(dens, 0, None)


def microscope(dens: np.ndarray, p: dict[str, Any], r: np.random.Generator) -> np.ndarray:
    """Camera image ``float32 (Z', Y, X)`` (ADU) of a dye density on the isotropic grid."""
    from scipy import ndimage

    s = (p["psf_sigma_z"], p["psf_sigma_xy"], p["psf_sigma_xy"])
    img = ndimage.gaussian_filter(dens, s)
    if p["haze"]:
        img = (1 - p["haze"]) * img + p["haze"] * ndimage.gaussian_filter(dens, tuple(4 * v for v in s))
    if p["stripes"]:
        absorbed = np.cumsum(ndimage.gaussian_filter(dens, (0, 1.5, 0)), axis=2) / dens.shape[2]
        img *= np.exp(-p["stripes"] * 8 * absorbed)
    img = img[p["z_step"] // 2 :: p["z_step"]]
    electrons = r.poisson(np.clip(img, 0, None) * p["photons"] + p["background"])
    return (electrons + OFFSET + r.normal(0, p["read_noise"], img.shape)).astype(np.float32)


class FluorescenceNuclei(TestSetBuilder):
    """3D fluorescence of nuclei: PSF convolution, background, Poisson-Gaussian noise, anisotropic z."""

    name = "fluorescence-nuclei"
    domain = "fluorescence"
    dims = 3
    description = "3D widefield, confocal and light-sheet stacks of stained nuclei"
    method = ("packed roughened ellipsoids with chromatin texture and nucleoli; Gaussian PSF "
              "(elongated in z), widefield haze / light-sheet absorption stripes, z sampling step, "
              "Poisson photon noise, camera offset and read noise")
    label_names = ("background", "nucleus")
    contrasts = tuple(CONTRASTS)
    contrast_table = CONTRASTS
    anatomy_source = "synthetic nuclei packings (synthzoo.datasets.fluorescence, seed range 60_000_000+)"
    references = ("Zhang, Zerubia & Olivo-Marin 2007, Appl Opt 46:1819 (Gaussian PSF models)",
                  "Huisken et al. 2004, Science 305:1007 (light-sheet)")
    default_size = 96
    quick_size = 48
    min_size = 32
    seed_base = 60_000_000
    version = 2  # 2: the cases store the nuclei's instance ids
    spacing_unit = "um"


    def write_case(self, spec: CaseSpec, writer: CaseWriter, *, size: int, workers: int = 1) -> dict[str, Any]:
        r = rng(spec.seed)
        p = dict(spec.params)
        ids, dens = nuclei((size // 2, size, size), r)
        image = microscope(dens, p, r)
        writer.put("image", image)
        planes = ids[p["z_step"] // 2 :: p["z_step"]]
        writer.put("labels", (planes > 0).astype(np.uint8))
        writer.put("instances", planes)
        return {"spacing": [PIXEL_UM * p["z_step"], PIXEL_UM, PIXEL_UM], "spacing_unit": self.spacing_unit, "axes": "zyx",
                "units": "camera counts (ADU, offset 100)", "simulator": "synthzoo.datasets.fluorescence.microscope",
                "parameters": {**p, "pixel_um": PIXEL_UM, "offset_adu": OFFSET}}
