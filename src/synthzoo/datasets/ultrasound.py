"""``ultrasound-phantoms``: B-mode images of tissue phantoms from a scatterer-based simulator.

Phantoms (labels 0 background tissue, 1 hypoechoic lesion, 2 hyperechoic lesion, 3 anechoic
cyst): two to three tissue layers with wavy boundaries (all background, differing in scatterer
statistics) and 2-5 elliptical inclusions; this recipe and its seed range differ from the
training generators'.

Image formation (in beam coordinates: depth x scan line): the label map is sampled along the
beams; each pixel holds a sub-resolution scatterer population whose density and amplitude
depend on the tissue (Gaussian amplitudes, so fully developed speckle where dense); the RF
line is the scatterer map convolved with the pulse PSF (axially a Gaussian-windowed cosine at
the centre frequency, laterally a Gaussian beam), attenuated by the round-trip
``exp(-2 * alpha * f * depth)`` accumulated through the tissues (so cysts give posterior
enhancement and hyperechoic lesions shadowing), with time-gain compensation for the mean
tissue only; envelope detection (Hilbert transform), log compression to a 50-60 dB dynamic
range, and scan conversion to the Cartesian grid (sector probes) with the field-of-view mask.
References: Jensen, "Field: a program for simulating ultrasound systems" (1996); Szabo,
*Diagnostic Ultrasound Imaging: Inside Out* (2004).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthzoo.datasets.base import CaseSpec, CaseWriter, TestSetBuilder, rng

# per label: scatterer density (per resolution cell, relative), amplitude std, attenuation dB/cm/MHz
TISSUE = {0: (1.0, 1.0, 0.6), 1: (0.6, 0.45, 0.6), 2: (1.0, 2.6, 1.6), 3: (0.0, 0.0, 0.05)}
CONTRASTS = {
    "linear-7mhz": {"probe": "linear", "f_mhz": 7.0, "depth_cm": 4.0, "width_cm": 4.0, "dyn_db": 50.0},
    "curvilinear-3.5mhz": {"probe": "sector", "f_mhz": 3.5, "depth_cm": 12.0, "angle_deg": 70.0, "dyn_db": 55.0},
    "phased-2.5mhz": {"probe": "sector", "f_mhz": 2.5, "depth_cm": 14.0, "angle_deg": 90.0, "dyn_db": 60.0},
}


def phantom(size: int, r: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Labels ``uint8 (H, W)`` of a phantom and a layer map ``int (H, W)`` (0-2)."""
    h = w = size
    yy, xx = np.mgrid[0:h, 0:w] / size
    layers = np.zeros((h, w), np.int64)
    n_layers = int(r.integers(2, 4))
    for k, depth in enumerate(np.sort(r.uniform(0.15, 0.7, n_layers - 1))):
        wave = depth + 0.05 * np.sin(2 * np.pi * (r.uniform(0.5, 2.0) * xx + r.uniform(0, 1)))
        layers[yy > wave] = k + 1
    labels = np.zeros((h, w), np.uint8)
    for _ in range(int(r.integers(2, 6))):
        cy, cx = r.uniform(0.25, 0.85), r.uniform(0.15, 0.85)
        a, b = r.uniform(0.04, 0.14, 2)
        th = r.uniform(0, np.pi)
        u = (xx - cx) * np.cos(th) + (yy - cy) * np.sin(th)
        v = -(xx - cx) * np.sin(th) + (yy - cy) * np.cos(th)
        labels[(u / a) ** 2 + (v / b) ** 2 <= 1] = int(r.integers(1, 4))
    return labels, layers


def beam_grid(p: dict[str, Any], size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cartesian sample positions (row, col in output pixels) of a (depth x line) beam grid,
    and each row's depth in cm.  The output image spans ``depth_cm`` vertically."""
    lam = 0.154 / p["f_mhz"]  # wavelength, cm (c = 1540 m/s); RF needs >= 4 samples per lam / 2
    n_depth, n_lines = max(4 * size, int(np.ceil(p["depth_cm"] / (lam / 8)))), size
    depth = np.linspace(0, p["depth_cm"], n_depth)
    px = size / p["depth_cm"]  # pixels per cm
    if p["probe"] == "linear":
        x = np.linspace(0, p["width_cm"], n_lines)
        rows, cols = np.meshgrid(depth * px, x * size / p["width_cm"], indexing="ij")
    else:
        ang = np.deg2rad(np.linspace(-p["angle_deg"] / 2, p["angle_deg"] / 2, n_lines))
        rr, aa = np.meshgrid(depth, ang, indexing="ij")
        rows, cols = rr * np.cos(aa) * px, size / 2 + rr * np.sin(aa) * px
    return rows, cols, depth


def simulate(labels: np.ndarray, layers: np.ndarray, p: dict[str, Any], r: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """B-mode image ``float32 (H, W)`` in [0, 1] and field-of-view mask ``uint8 (H, W)``."""
    from scipy import ndimage, signal

    size = labels.shape[0]
    rows, cols, depth = beam_grid(p, size)
    lab_b = ndimage.map_coordinates(labels, [rows, cols], order=0, mode="constant", cval=0)
    lay_b = ndimage.map_coordinates(layers, [rows, cols], order=0, mode="constant", cval=0)
    lut = np.array([TISSUE[k] for k in sorted(TISSUE)])
    dens, amp, att = lut[lab_b, 0], lut[lab_b, 1] * (1.0 + 0.25 * lay_b), lut[lab_b, 2]
    present = r.random(lab_b.shape) < np.clip(dens, 0, 1)
    scat = present * amp * r.standard_normal(lab_b.shape)
    # pulse: wavelength / axial sampling sets the number of RF samples per cycle
    dz = depth[1] - depth[0]
    lam = 0.154 / p["f_mhz"]  # cm (c = 1540 m/s)
    t = np.arange(-3 * lam, 3 * lam + dz, dz)
    pulse = np.exp(-(t / (0.8 * lam)) ** 2) * np.cos(2 * np.pi * t / lam * 2)  # round trip: half wavelength period
    rf = ndimage.convolve1d(scat, pulse, axis=0, mode="constant")
    line_cm = p.get("width_cm", p["depth_cm"]) / labels.shape[1]
    beam_px = max(0.6, 2.0 * lam / line_cm)  # lateral beam FWHM (F-number 2) in lines
    rf = ndimage.gaussian_filter1d(rf, beam_px / 2.355, axis=1)
    # round-trip attenuation accumulated along depth (dB), TGC compensates the mean tissue
    loss_db = 2 * p["f_mhz"] * np.cumsum(att, axis=0) * dz
    tgc_db = 2 * p["f_mhz"] * TISSUE[0][2] * depth[:, None]
    rf = rf * 10 ** (-(loss_db - tgc_db) / 20)
    env = np.abs(signal.hilbert(rf, axis=0))
    env = env + 1e-3 * env.mean() * np.abs(r.standard_normal(env.shape))  # electronic noise floor
    db = 20 * np.log10(env / np.percentile(env, 99.5) + 1e-12)
    bmode = np.clip((db + p["dyn_db"]) / p["dyn_db"], 0, 1)
    # scan conversion: Cartesian pixel -> (depth, line) in the beam grid
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    px = size / p["depth_cm"]
    n_depth, n_lines = bmode.shape
    if p["probe"] == "linear":
        di, li = yy / px / dz, xx * (n_lines - 1) / (size - 1)
        inside = np.ones_like(yy, bool)
    else:
        rad = np.hypot(yy, xx - size / 2) / px
        ang = np.rad2deg(np.arctan2(xx - size / 2, yy))
        half = p["angle_deg"] / 2
        di, li = rad / dz, (ang + half) / p["angle_deg"] * (n_lines - 1)
        inside = (np.abs(ang) <= half) & (rad <= p["depth_cm"])
    img = ndimage.map_coordinates(bmode, [di, li], order=1, mode="constant", cval=0)
    return (img * inside).astype(np.float32), inside.astype(np.uint8)


class UltrasoundPhantoms(TestSetBuilder):
    """B-mode phantoms: scatterers x pulse PSF, attenuation, Hilbert envelope, log compression."""

    name = "ultrasound-phantoms"
    domain = "ultrasound"
    dims = 2
    description = "B-mode ultrasound of layered phantoms with lesions and cysts (scatterer simulation)"
    method = ("scatterer maps from tissue density/amplitude, convolution with an axial pulse and "
              "lateral beam, depth attenuation with TGC, Hilbert envelope, log compression, scan conversion")
    label_names = ("background", "hypoechoic", "hyperechoic", "cyst")
    contrasts = tuple(CONTRASTS)
    contrast_table = CONTRASTS
    anatomy_source = "synthetic layered phantoms (synthzoo.datasets.ultrasound, seed range 40_000_000+)"
    references = ("Jensen 1996, Med Biol Eng Comput 34:351 (Field II)",
                  "Szabo 2004, Diagnostic Ultrasound Imaging: Inside Out")
    default_size = 256
    quick_size = 96
    min_size = 32
    seed_base = 40_000_000


    def write_case(self, spec: CaseSpec, writer: CaseWriter, *, size: int, workers: int = 1) -> dict[str, Any]:
        r = rng(spec.seed)
        labels, layers = phantom(size, r)
        image, mask = simulate(labels, layers, dict(spec.params), r)
        writer.put("image", image)
        writer.put("labels", labels * mask)
        writer.put("mask", mask)
        sp = spec.params["depth_cm"] * 10 / size
        return {"spacing": [sp, sp], "spacing_unit": self.spacing_unit, "axes": "yx", "units": "B-mode [0, 1] (log-compressed)",
                "simulator": "synthzoo.datasets.ultrasound.simulate", "parameters": dict(spec.params)}
