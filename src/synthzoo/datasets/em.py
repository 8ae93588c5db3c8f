"""``em-cells``: electron micrographs of cell profiles from a stain/projection model.

Sections (labels 0 cytoplasm, 1 membrane, 2 mitochondrion, 3 vesicle): cell profiles from a
*power diagram* (Voronoi with random weights) of jittered-lattice seeds, boundaries warped by a
smooth displacement field; mitochondria are elongated ellipses inside cells, vesicles small
discs.  The recipe and seed range differ from any training generator.

Image formation: a 3D stain-density volume of the section (membranes and mitochondria stain
heavily, cytoplasm carries a textured ribosome/cytoskeleton density, mitochondria show
cristae) is built in ``n_sub`` sub-layers through the section thickness, with membranes
drifting (tilted membranes), and projected (sum) through the section: the section-thickness
blur.  Mass-thickness contrast gives transmission ``exp(-k * projected density)``; a smooth
brightness drift (charging / uneven illumination), the detector PSF, Poisson electron counts
and Gaussian read noise follow.  Contrasts: TEM (bright background, dark membranes), SBEM
(backscatter: bright membranes, shown inverted by convention, low dose), FIB-SEM (thin
sections, vertical curtaining stripes).  References: Reimer & Kohl, *Transmission Electron
Microscopy* (2008); Denk & Horstmann 2004 (SBEM); Knott et al. 2008 (FIB-SEM).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthzoo.datasets.base import CaseSpec, CaseWriter, TestSetBuilder, rng

CONTRASTS = {
    "tem": {"detector": "transmission", "section_nm": 50.0, "dose_e": 400.0, "read_noise": 2.0,
            "invert": False, "curtain": 0.0},
    "sbem": {"detector": "backscatter", "section_nm": 30.0, "dose_e": 60.0, "read_noise": 3.0,
             "invert": True, "curtain": 0.0},
    "fibsem": {"detector": "backscatter", "section_nm": 8.0, "dose_e": 120.0, "read_noise": 2.0,
               "invert": True, "curtain": 0.08},
}
PIXEL_NM = 8.0


def cells(size: int, r: np.random.Generator) -> np.ndarray:
    """Labels ``uint8 (H, W)`` of a section (0 cytoplasm, 1 membrane, 2 mitochondrion, 3 vesicle)."""
    from scipy import ndimage

    cell_px = r.uniform(size / 6, size / 3.5)
    n = int(np.ceil(size / cell_px)) + 2
    gy, gx = np.mgrid[0:n, 0:n].reshape(2, -1) * cell_px - cell_px
    pts = np.stack([gy, gx], 1) + r.uniform(-0.35, 0.35, (n * n, 2)) * cell_px
    weight = r.uniform(-0.15, 0.15, n * n) * cell_px ** 2
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    warp = [ndimage.gaussian_filter(r.standard_normal((size, size)), size / 10) for _ in range(2)]
    warp = [w / max(np.abs(w).max(), 1e-8) * cell_px * 0.15 for w in warp]
    wy, wx = yy + warp[0], xx + warp[1]
    best = np.full((size, size), np.inf, np.float32)
    cell = np.zeros((size, size), np.int64)
    for i, ((py, px), wt) in enumerate(zip(pts, weight)):  # power distance, one seed at a time
        d = (wy - py) ** 2 + (wx - px) ** 2 - wt
        closer = d < best
        best[closer], cell[closer] = d[closer], i
    edge = np.zeros((size, size), bool)
    edge[:-1] |= cell[:-1] != cell[1:]
    edge[:, :-1] |= cell[:, :-1] != cell[:, 1:]
    width = max(1, int(round(r.uniform(1.0, 2.0) * size / 256)))
    membrane = ndimage.binary_dilation(edge, iterations=width)
    labels = np.where(membrane, 1, 0).astype(np.uint8)
    inner = ndimage.binary_erosion(~membrane, iterations=max(2, size // 64))
    for _ in range(int(r.integers(2, 5) * (size / cell_px) ** 2 / 4)):
        cy, cx = r.uniform(0, size, 2)
        if not inner[int(cy), int(cx)]:
            continue
        a, b = r.uniform(0.15, 0.30) * cell_px, r.uniform(0.06, 0.10) * cell_px
        th = r.uniform(0, np.pi)
        u = (xx - cx) * np.cos(th) + (yy - cy) * np.sin(th)
        v = -(xx - cx) * np.sin(th) + (yy - cy) * np.cos(th)
        m = ((u / a) ** 2 + (v / b) ** 2 <= 1) & inner & (cell == cell[int(cy), int(cx)])
        labels[m] = 2
    for _ in range(int(6 * (size / cell_px) ** 2)):
        cy, cx = r.uniform(0, size, 2)
        rad = r.uniform(0.03, 0.05) * cell_px
        m = ((yy - cy) ** 2 + (xx - cx) ** 2 <= rad ** 2) & inner & (labels == 0)
        labels[m] = 3
    return labels


def section_image(labels: np.ndarray, p: dict[str, Any], r: np.random.Generator) -> np.ndarray:
    """Micrograph ``float32 (H, W)`` scaled to [0, 1] (1st-99th percentile)."""
    from scipy import ndimage

    size = labels.shape[0]
    n_sub = max(1, int(round(p["section_nm"] / PIXEL_NM)))
    texture = ndimage.gaussian_filter(r.standard_normal((size, size)), 1.2)
    texture = 0.25 + 0.12 * texture / max(texture.std(), 1e-8)
    yy, xx = np.mgrid[0:size, 0:size]
    cristae = 0.5 + 0.5 * np.cos(2 * np.pi * (xx * np.cos(0.7) + yy * np.sin(0.7)) / max(3.0, size / 50))
    dens = np.choose(labels, [texture, np.full_like(texture, 1.6), 0.9 + 0.5 * cristae,
                              np.full_like(texture, 1.3)])
    dens = np.clip(dens, 0, None)
    # section-thickness projection: membranes drift across sub-layers (tilted membranes)
    tilt = r.uniform(-0.6, 0.6, 2)
    proj = np.zeros_like(dens)
    for k in range(n_sub):
        shift = (k - (n_sub - 1) / 2) * tilt
        proj += ndimage.shift(dens, shift, order=1, mode="reflect")
    proj /= n_sub
    if p["detector"] == "transmission":
        signal = np.exp(-1.2 * proj)  # mass-thickness contrast: dark where stained
    else:
        signal = 1 - np.exp(-1.2 * proj)  # backscatter yield rises with heavy-metal stain
    drift = ndimage.gaussian_filter(r.standard_normal((size, size)), size / 4)
    drift = 1 + 0.08 * drift / max(drift.std(), 1e-8)
    drift += np.linspace(-0.1, 0.1, size)[None] * r.uniform(-1, 1)
    signal = ndimage.gaussian_filter(signal * np.clip(drift, 0.5, 1.5), 0.8)
    if p["curtain"]:
        stripes = ndimage.gaussian_filter1d(r.standard_normal(size), 1.0)
        signal *= 1 + p["curtain"] * stripes[None, :] / max(stripes.std(), 1e-8)
    counts = r.poisson(np.clip(signal, 0, None) * p["dose_e"]) + r.normal(0, p["read_noise"], signal.shape)
    img = counts.astype(np.float32)
    if p["invert"]:
        img = -img
    lo, hi = np.percentile(img, [1, 99])
    return np.clip((img - lo) / max(hi - lo, 1e-8), 0, 1).astype(np.float32)


class EMCells(TestSetBuilder):
    """Electron micrographs of cells: stain density, section projection, shot noise, drift."""

    name = "em-cells"
    domain = "em"
    dims = 2
    description = "Electron micrographs (TEM, SBEM, FIB-SEM) of cell profiles with mitochondria and vesicles"
    method = ("power-diagram cells with warped boundaries; stain density volume projected through the "
              "section (tilted membranes), mass-thickness / backscatter contrast, brightness drift, "
              "detector PSF, Poisson electron counts, read noise, curtaining (FIB-SEM)")
    label_names = ("cytoplasm", "membrane", "mitochondrion", "vesicle")
    contrasts = tuple(CONTRASTS)
    contrast_table = CONTRASTS
    anatomy_source = "synthetic cell sections (synthzoo.datasets.em, seed range 50_000_000+)"
    references = ("Reimer & Kohl 2008, Transmission Electron Microscopy",
                  "Denk & Horstmann 2004, PLoS Biol 2:e329 (SBEM)", "Knott et al. 2008, J Neurosci 28:2959 (FIB-SEM)")
    default_size = 256
    quick_size = 96
    tiny_size = 64
    min_size = 64
    seed_base = 50_000_000
    spacing_unit = "um"


    def write_case(self, spec: CaseSpec, writer: CaseWriter, *, size: int, workers: int = 1) -> dict[str, Any]:
        r = rng(spec.seed)
        labels = cells(size, r)
        writer.put("image", section_image(labels, dict(spec.params), r))
        writer.put("labels", labels)
        sp = PIXEL_NM / 1000
        return {"spacing": [sp, sp], "spacing_unit": self.spacing_unit, "axes": "yx", "units": "normalised counts [0, 1]",
                "simulator": "synthzoo.datasets.em.section_image",
                "parameters": {**spec.params, "pixel_nm": PIXEL_NM}}
