"""``micro-ct-pores``: porous rock cores imaged by a simulated micro-CT scanner.

Anatomy (labels 0 pore/air, 1 matrix, 2 dense inclusion): a cylindrical core whose pore space
is a thresholded Gaussian random field (porosity 15-30 %), with dense mineral spheres
(1-3 % by volume).  The ``micro-ct`` generator can draw the same kind of pore space (its
``field`` structure family: a thresholded Gaussian field with its own correlation length,
porosity and seeds); what no training generator has is this builder's image formation and its
seed range (``seed_base``).

Image formation, one axial slice at a time (so a 1024^3 case is built in bounded memory):
material fractions are area-averaged onto a detector row of ``n_det`` pixels (at most 256: a
small detector), line integrals of each material are taken with ``skimage.transform.radon``,
a polychromatic spectrum (Kramers bremsstrahlung with 1 mm Al filtration, 10 energy bins)
attenuates them with energy-dependent coefficients (photoelectric ``E^-3`` + Compton terms),
giving beam hardening (cupping, streaks between inclusions); Poisson photon counts with a
per-detector-pixel gain error (ring artifacts); ``-log`` of the flat-field-corrected counts is
reconstructed by filtered back-projection (``skimage.transform.iradon``, Hann filter) and
interpolated back to the label grid.  Values are linear attenuation coefficients in 1/cm.
References: Kak & Slaney, *Principles of Computerized Tomographic Imaging* (1988);
Brooks & Di Chiro, "Beam hardening in X-ray reconstructive tomography", PMB 1976.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthzoo.datasets.base import CaseSpec, CaseWriter, TestSetBuilder, rng

SLAB = 64  # slices per written slab (the chunk edge)

CONTRASTS = {
    # kVp (None = monochromatic at energy_kev), photons per detector pixel, ring gain std
    "lab-80kv": {"kvp": 80.0, "energy_kev": None, "photons": 2.0e4, "gain_std": 0.004, "filter": "hann"},
    "lab-50kv-lowdose": {"kvp": 50.0, "energy_kev": None, "photons": 2.0e3, "gain_std": 0.002, "filter": "hann"},
    "synchrotron-mono": {"kvp": None, "energy_kev": 30.0, "photons": 1.0e5, "gain_std": 0.004, "filter": "ramp"},
}
# linear attenuation (1/cm) at 50 keV split into photoelectric (~E^-3) and Compton (~flat) parts
MATERIALS = {"matrix": (0.35, 0.45), "inclusion": (4.0, 0.9)}  # calcite-like, pyrite-like


def mu(material: str, energy_kev: np.ndarray) -> np.ndarray:
    pe, co = MATERIALS[material]
    e = np.asarray(energy_kev, dtype=np.float64) / 50.0
    return pe * e ** -3.0 + co * e ** -0.25


def spectrum(kvp: float | None, energy_kev: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Energy bins (keV) and normalised photon weights: Kramers' law through 1 mm Al."""
    if kvp is None:
        return np.array([float(energy_kev)]), np.array([1.0])
    e = np.linspace(12.0, kvp - 2.0, 10)
    w = (kvp - e) / e * np.exp(-0.1 * 2.7 * (3.0 * (e / 30.0) ** -3 + 0.15))  # Al: rho 2.7, 1 mm
    return e, w / w.sum()


def detector_pixels(size: int) -> int:
    return size if size <= 256 else size // int(np.ceil(size / 256))


class _Geometry:
    """Deterministic core geometry: random-field parameters and inclusion spheres."""

    def __init__(self, size: int, seed: int) -> None:
        r = rng(seed)
        self.size, self.seed = size, seed
        self.sigma = max(1.0, size / 48)
        self.porosity = float(r.uniform(0.15, 0.30))
        self.radius = 0.46 * size
        frac = float(r.uniform(0.01, 0.03))
        rad_lo, rad_hi = max(1.5, size / 40), max(2.5, size / 18)
        mean_vol = 4 / 3 * np.pi * ((rad_lo + rad_hi) / 2) ** 3
        n = max(1, int(round(frac * np.pi * self.radius ** 2 * size / mean_vol)))
        self.centres = r.uniform(0, size, (n, 3))
        self.radii = r.uniform(rad_lo, rad_hi, n)
        from scipy import ndimage
        from scipy.stats import norm

        delta = np.zeros((int(8 * self.sigma) + 1,) * 3)
        delta[(len(delta) // 2,) * 3] = 1.0
        std = float(np.sqrt((ndimage.gaussian_filter(delta, self.sigma, mode="constant") ** 2).sum()))
        self.threshold = float(norm.ppf(self.porosity)) * std

    def labels(self, z0: int, z1: int) -> np.ndarray:
        """``uint8 (z1-z0, size, size)`` labels of slices ``z0:z1``."""
        from scipy import ndimage

        n, halo = self.size, int(np.ceil(4 * self.sigma))
        lo, hi = max(0, z0 - halo), min(n, z1 + halo)
        noise = np.stack([rng(self.seed * 7919 + 1_000_003 + z).standard_normal((n, n), dtype=np.float32)
                          for z in range(lo, hi)])
        field = ndimage.gaussian_filter(noise, self.sigma, mode="reflect")[z0 - lo : z1 - lo]
        del noise
        lab = np.where(field < self.threshold, 0, 1).astype(np.uint8)
        del field
        yy, xx = np.mgrid[0:n, 0:n] + 0.5
        inside = (yy - n / 2) ** 2 + (xx - n / 2) ** 2 <= self.radius ** 2
        lab *= inside[None].astype(np.uint8)
        for (cz, cy, cx), rad in zip(self.centres, self.radii):
            if cz + rad < z0 or cz - rad > z1:
                continue
            for z in range(max(z0, int(cz - rad)), min(z1, int(cz + rad) + 1)):
                r2 = rad ** 2 - (z + 0.5 - cz) ** 2
                if r2 <= 0:
                    continue
                ys, ye = max(0, int(cy - rad)), min(n, int(cy + rad) + 2)
                xs, xe = max(0, int(cx - rad)), min(n, int(cx + rad) + 2)
                disk = (yy[ys:ye, xs:xe] - cy) ** 2 + (xx[ys:ye, xs:xe] - cx) ** 2 <= r2
                sub = lab[z - z0, ys:ye, xs:xe]
                sub[disk & inside[ys:ye, xs:xe]] = 2
        return lab


def _downsample(a: np.ndarray, n_det: int) -> np.ndarray:
    n = a.shape[0]
    if n == n_det:
        return a.astype(np.float64)
    f = n // n_det
    return a[: n_det * f, : n_det * f].reshape(n_det, f, n_det, f).mean(axis=(1, 3))


def scan_slice(labels: np.ndarray, *, z: int, seed: int, spacing_cm: float, p: dict[str, Any]) -> np.ndarray:
    """Simulated micro-CT reconstruction of one label slice: ``float32 (N, N)`` in 1/cm."""
    from scipy import ndimage
    from skimage.transform import iradon, radon

    n = labels.shape[0]
    n_det = detector_pixels(n)
    pix = spacing_cm * n / n_det
    theta = np.linspace(0.0, 180.0, n_det, endpoint=False)
    paths = {m: radon(_downsample(labels == k, n_det), theta, circle=True) * pix
             for m, k in (("matrix", 1), ("inclusion", 2))}
    energies, weights = spectrum(p["kvp"], p["energy_kev"])
    trans = np.zeros_like(paths["matrix"])
    for e, w in zip(energies, weights):
        trans += w * np.exp(-(mu("matrix", e) * paths["matrix"] + mu("inclusion", e) * paths["inclusion"]))
    r = rng(seed * 104729 + z)
    gain = 1.0 + p["gain_std"] * rng(seed * 31 + 17 + z).standard_normal(n_det)
    counts = r.poisson(p["photons"] * trans * gain[:, None])
    sino = -np.log(np.maximum(counts, 1) / p["photons"])
    rec = iradon(sino, theta, circle=True, filter_name=p["filter"], output_size=n_det) / pix
    if n_det != n:
        rec = ndimage.zoom(rec, n / n_det, order=1, mode="nearest")
    return rec.astype(np.float32)


def _scan_job(args: tuple) -> np.ndarray:
    return scan_slice(*args[:1], z=args[1], seed=args[2], spacing_cm=args[3], p=args[4])


class MicroCTPores(TestSetBuilder):
    """Porous rock cores: Radon projection, beam hardening, photon noise, rings, FBP."""

    name = "micro-ct-pores"
    domain = "micro-ct"
    dims = 3
    description = "Porous rock cores imaged by a simulated polychromatic micro-CT (FBP reconstruction)"
    method = ("Gaussian-random-field pores + dense spheres in a cylinder; per slice: radon per "
              "material, polychromatic Beer-Lambert (Kramers spectrum), Poisson counts with "
              "detector gain errors (rings), -log, FBP (iradon) on a small detector")
    label_names = ("pore", "matrix", "inclusion")
    contrasts = tuple(CONTRASTS)
    contrast_table = CONTRASTS
    anatomy_source = "synthetic porous cores (synthzoo.datasets.micro_ct, seed range 30_000_000+)"
    references = ("Kak & Slaney 1988, Principles of Computerized Tomographic Imaging",
                  "Brooks & Di Chiro 1976, Phys Med Biol 21:390 (beam hardening)")
    default_size = 64
    quick_size = 32
    tiny_size = 16
    seed_base = 30_000_000
    voxel_um = 10.0


    def write_case(self, spec: CaseSpec, writer: CaseWriter, *, size: int, workers: int = 1) -> dict[str, Any]:
        geom = _Geometry(size, spec.seed)
        img = writer.create("image", (size, size, size), "float32")
        lab = writer.create("labels", (size, size, size), "uint8")
        msk = writer.create("mask", (size, size, size), "uint8")
        yy, xx = np.mgrid[0:size, 0:size] + 0.5
        circle = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2 <= (size / 2 - 1) ** 2).astype(np.uint8)
        spacing_cm = self.voxel_um * 1e-4
        pool = None
        if workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            pool = ProcessPoolExecutor(workers)
        try:
            for z0 in range(0, size, SLAB):
                z1 = min(size, z0 + SLAB)
                labels = geom.labels(z0, z1)
                jobs = [(labels[i], z0 + i, spec.seed, spacing_cm, dict(spec.params)) for i in range(z1 - z0)]
                recs = list(pool.map(_scan_job, jobs)) if pool else [_scan_job(j) for j in jobs]
                img[z0:z1] = np.stack(recs)
                lab[z0:z1] = labels
                msk[z0:z1] = np.broadcast_to(circle, labels.shape)
                del recs, labels, jobs
                writer.advance(z1, size)
        finally:
            if pool:
                pool.shutdown()
        return {"spacing": [self.voxel_um / 1000] * 3, "spacing_unit": self.spacing_unit, "axes": "zyx", "units": "1/cm",
                "simulator": "synthzoo.datasets.micro_ct.scan_slice (skimage radon/iradon)",
                "parameters": {**spec.params, "porosity": geom.porosity, "n_inclusions": len(geom.radii),
                               "detector_pixels": detector_pixels(size), "angles": detector_pixels(size),
                               "voxel_um": self.voxel_um, "field_sigma_vox": geom.sigma}}
