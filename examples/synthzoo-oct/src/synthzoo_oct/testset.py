"""``oct-retina-devices``: foveal OCT B-scans imaged by four device-like settings.

Anatomy (held out from training: a different geometry model and seed range from the
generator's random layers): the eleven layers of the macula (nerve fibre, ganglion cell, inner
plexiform, inner nuclear, outer plexiform, outer nuclear, photoreceptor inner/outer segments
(ellipsoid zone), outer segments, RPE, choroid) over the sclera, with normal thicknesses in
micrometres and a foveal pit in which the inner layers vanish and the outer nuclear layer
thickens; the pit's width, depth and steepness, the scan's offset from the foveal centre,
its tilt and the eye's curvature vary per case; retinal vessels (blood: strong attenuation)
lie in the nerve fibre and ganglion cell layers, large choroidal vessels (dark lumens) in the
choroid.

Image formation, on a grid twice as fine as the output: reflectivity and attenuation per layer
(Beer-Lambert, double pass: shadows under vessels follow from the blood's attenuation);
sensitivity roll-off with depth (spectral-domain) or almost none (swept-source); the complex
field of scatterers convolved with an axial (coherence length) x lateral (beam waist) Gaussian
PSF; frames averaged with partly correlated speckle; complex detector noise at the device's
SNR; 2x2 block averaging; log display over the device's dynamic range, quantised to 8 bits.
References: Schmitt, Xiang & Yung, J Biomed Opt 4:95 (1999) (speckle); Drexler & Fujimoto,
Optical Coherence Tomography (Springer 2015) (SD vs SS-OCT, roll-off); Chan et al., IOVS
47:5526 (2006) (macular layer thicknesses).

Labels: 0 vitreous, 1 inner retina (nerve fibre to outer plexiform layer, with vessels),
2 outer retina (outer nuclear layer to RPE), 3 choroid and sclera.  Axes ``yx``: ``y`` is depth
(down), ``x`` lateral; the field of view is 1 mm x 1 mm, so the pixel is ``1 / size`` mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthzoo.datasets.base import CaseSpec, CaseWriter, TestSetBuilder, rng

FOV_MM = 1.0
#: anatomical layers top to bottom: (name, target class, thickness um away from the fovea,
#: relative thickness at the foveal centre)
LAYERS = (
    ("rnfl", 1, 30.0, 0.0), ("gcl", 1, 45.0, 0.0), ("ipl", 1, 38.0, 0.0), ("inl", 1, 35.0, 0.05),
    ("opl", 1, 30.0, 0.2), ("onl", 2, 75.0, 1.5), ("ez", 2, 12.0, 1.2), ("os", 2, 25.0, 1.4),
    ("rpe", 2, 16.0, 1.0), ("choroid", 3, 260.0, 1.0),
)
SCLERA, VESSEL, LUMEN = len(LAYERS) + 1, len(LAYERS) + 2, len(LAYERS) + 3
TARGET = np.array([0] + [c for _, c, _, _ in LAYERS] + [3, 1, 3], np.uint8)  # anatomical -> target
#: reflectivity (linear, arbitrary units) and attenuation (1/mm) per anatomical label at
#: 840 nm: vitreous, the ten layers, sclera, retinal vessel (blood), choroidal lumen (blood)
REFLECT_840 = np.array([0.001, 0.9, 0.35, 0.6, 0.12, 0.5, 0.06, 0.7, 0.2, 1.0, 0.45, 0.3, 0.35, 0.05])
ATTEN_840 = np.array([0.0, 4.0, 3.0, 3.0, 3.0, 3.0, 2.0, 5.0, 6.0, 25.0, 12.0, 8.0, 20.0, 20.0])

CONTRASTS = {
    # averaged spectral-domain scan, 870 nm, high signal
    "sd-870-averaged": {"wavelength_nm": 870, "axial_um": 3.9, "lateral_um": 14.0, "frames": 16,
                        "speckle_corr": 0.6, "snr_db": 38.0, "rolloff_mm": 1.6, "dynamic_range_db": 42.0,
                        "rpe_atten_scale": 1.0},
    # single-frame spectral-domain scan, 840 nm
    "sd-840-single": {"wavelength_nm": 840, "axial_um": 5.0, "lateral_um": 18.0, "frames": 1,
                      "speckle_corr": 0.0, "snr_db": 26.0, "rolloff_mm": 1.2, "dynamic_range_db": 36.0,
                      "rpe_atten_scale": 1.0},
    # swept-source 1050 nm: coarser axial resolution, deeper penetration, little roll-off
    "ss-1050": {"wavelength_nm": 1050, "axial_um": 8.0, "lateral_um": 20.0, "frames": 4,
                "speckle_corr": 0.5, "snr_db": 32.0, "rolloff_mm": 6.0, "dynamic_range_db": 45.0,
                "rpe_atten_scale": 0.45},
    # a poor single-frame scan (media opacity): low signal, broad beam
    "sd-840-low-snr": {"wavelength_nm": 840, "axial_um": 5.0, "lateral_um": 30.0, "frames": 1,
                       "speckle_corr": 0.0, "snr_db": 14.0, "rolloff_mm": 1.2, "dynamic_range_db": 30.0,
                       "rpe_atten_scale": 1.0},
}


def geometry(r: np.random.Generator) -> dict[str, Any]:
    """Random parameters of one foveal scan (lengths in mm)."""
    return {"top": float(r.uniform(0.18, 0.3)), "pit_width": float(r.uniform(0.3, 0.5)),
            "pit_depth": float(r.uniform(0.85, 1.0)), "pit_power": float(r.uniform(1.8, 3.0)),
            "offset": float(r.uniform(-0.15, 0.15)), "off_axis": float(r.uniform(0.0, 0.25)),
            "tilt": float(r.uniform(-0.05, 0.05)), "eye_radius": float(r.uniform(11.0, 13.0)),
            "scale": r.uniform(0.85, 1.15, len(LAYERS)).tolist(), "choroid": float(r.uniform(0.7, 1.3)),
            "vessels": [(float(r.uniform(-0.45, 0.45)), float(r.uniform(0.02, 0.06)), float(r.uniform(0.2, 0.8)))
                        for _ in range(int(r.integers(1, 5)))],
            "lumens": [(float(r.uniform(-0.5, 0.5)), float(r.uniform(0.03, 0.08)), float(r.uniform(0.3, 0.8)))
                       for _ in range(int(r.integers(3, 9)))]}


def anatomy(n: int, g: dict[str, Any]) -> np.ndarray:
    """Anatomical labels ``uint8 (n, n)`` (depth down) of scan ``g`` on an ``n x n`` grid."""
    px = FOV_MM / n
    x = (np.arange(n) + 0.5) * px - FOV_MM / 2  # lateral position (mm), 0 at the centre
    z = (np.arange(n) + 0.5)[:, None] * px
    ecc = np.hypot(x - g["offset"], g["off_axis"])  # distance from the foveal centre
    pit = g["pit_depth"] * np.exp(-(ecc / g["pit_width"]) ** g["pit_power"])
    thick = []
    for k, (_, _, um, fovea) in enumerate(LAYERS):
        t = um / 1000 * g["scale"][k] * (1 - pit * (1 - fovea))
        thick.append(t * g["choroid"] if LAYERS[k][0] == "choroid" else t)
    # Bruch's membrane (RPE/choroid boundary) is the smooth reference: the eye's curvature (the
    # scan's edges lie higher) and a tilt; the retina is stacked above it, so the foveal pit
    # dips the inner surface and the choroid is stacked below
    retina = sum(um / 1000 for _, _, um, _ in LAYERS[:-1])
    bruch = g["top"] + retina - x ** 2 / (2 * g["eye_radius"]) + g["tilt"] * x
    bounds = [bruch - sum(thick[:9])]
    for t in thick:
        bounds.append(bounds[-1] + t)
    lab = np.zeros((n, n), np.uint8)
    for k, b in enumerate(bounds):
        lab[z >= b[None, :]] = k + 1  # layer k below boundary k; SCLERA below the last
    inner_top, inner_bottom = bounds[0], bounds[2]  # vessels in the nerve fibre / ganglion layers
    for cx, rad, frac in g["vessels"]:
        i = np.argmin(np.abs(x - cx))
        cz = inner_top[i] + frac * max(inner_bottom[i] - inner_top[i], rad)
        lab[((x[None, :] - cx) ** 2 + (z - cz) ** 2) <= rad ** 2 / 4] = VESSEL
    ch_top, ch_bottom = bounds[9], bounds[10]
    for cx, rad, frac in g["lumens"]:
        i = np.argmin(np.abs(x - cx))
        cz = ch_top[i] + frac * (ch_bottom[i] - ch_top[i])
        inside = ((x[None, :] - cx) ** 2 + (z - cz) ** 2) <= rad ** 2 / 4
        lab[inside & (lab == 10)] = LUMEN
    return lab


def simulate(anat: np.ndarray, p: dict[str, Any], r: np.random.Generator) -> np.ndarray:
    """OCT B-scan (8-bit levels as float32) of anatomical labels ``anat (2n, 2n)`` on the fine
    grid; returns the ``(n, n)`` image."""
    from scipy import ndimage

    m = anat.shape[0]
    px_um = FOV_MM * 1000 / m
    reflect = REFLECT_840.copy()
    atten = ATTEN_840.copy()
    atten[9] *= p["rpe_atten_scale"]
    if p["wavelength_nm"] > 1000:  # longer wavelength: less scattering in the retina and choroid
        atten[1:9] *= 0.7
        atten[10:12] *= 0.5
    R = reflect[anat] * r.uniform(0.9, 1.1, len(reflect))[anat]
    mu = atten[anat]
    dz = px_um / 1000
    through = np.cumsum(mu, axis=0) * dz - mu * dz / 2  # optical depth above each pixel's centre
    depth = (np.arange(m) + 0.5)[:, None] * dz
    signal = R * np.exp(-2 * through) * np.exp(-(depth / p["rolloff_mm"]) ** 2)
    sig_ax = p["axial_um"] / 2.355 / px_um
    sig_lat = p["lateral_um"] / 2.355 / px_um
    shared = r.standard_normal((2, m, m))
    total = np.zeros((m, m))
    noise_power = signal[anat > 0].mean() * 10 ** (-p["snr_db"] / 10)
    c = p["speckle_corr"]
    for _ in range(p["frames"]):
        own = r.standard_normal((2, m, m))
        scat = np.sqrt(c) * shared + np.sqrt(1 - c) * own
        amp = np.sqrt(signal / 2)
        re = ndimage.gaussian_filter(amp * scat[0], (sig_ax, sig_lat), mode="reflect")
        im = ndimage.gaussian_filter(amp * scat[1], (sig_ax, sig_lat), mode="reflect")
        gain = np.sqrt(4 * np.pi * sig_ax * sig_lat)  # 1 / sqrt(sum of the squared kernel): mean ~ signal
        re, im = re * gain, im * gain
        det = r.standard_normal((2, m, m)) * np.sqrt(noise_power / 2)
        total += (re + det[0]) ** 2 + (im + det[1]) ** 2
    inten = total / p["frames"]
    inten = inten.reshape(m // 2, 2, m // 2, 2).mean((1, 3))
    db = 10 * np.log10(inten / np.percentile(inten, 99.9) + 1e-12)
    level = np.clip((db + p["dynamic_range_db"]) / p["dynamic_range_db"], 0, 1)
    return np.round(level * 255).astype(np.float32)


class OCTRetinaDevices(TestSetBuilder):
    """Foveal B-scans: layered macula, vessels, four OCT devices (SD averaged / single, SS, low SNR)."""

    name = "oct-retina-devices"
    domain = "oct"
    dims = 2
    description = "Foveal retinal OCT B-scans from four device-like settings (spectral-domain and swept-source)"
    method = ("eleven-layer macula with foveal pit and vessels; per-layer reflectivity and Beer-Lambert "
              "attenuation, roll-off, coherent PSF, partly correlated frame averaging, detector noise, "
              "log display quantised to 8 bits")
    label_names = ("vitreous", "inner-retina", "outer-retina", "choroid-sclera")
    contrasts = tuple(CONTRASTS)
    contrast_table = CONTRASTS
    anatomy_source = "synthetic maculae (synthzoo_oct.testset, seed range 90_000_000+)"
    references = ("Schmitt, Xiang & Yung 1999, J Biomed Opt 4:95 (speckle in OCT)",
                  "Drexler & Fujimoto 2015, Optical Coherence Tomography, Springer",
                  "Chan et al. 2006, IOVS 47:5526 (macular layer thickness)")
    default_size = 128
    quick_size = 64
    default_cases = 3
    tiny_size = 32
    min_size = 32
    max_size = 1024
    work_bytes_per_voxel = 512.0
    seed_base = 90_000_000

    def write_case(self, spec: CaseSpec, writer: CaseWriter, *, size: int, workers: int = 1) -> dict[str, Any]:
        r = rng(spec.seed)
        g = geometry(r)
        image = simulate(anatomy(2 * size, g), dict(spec.params), r)
        labels = TARGET[anatomy(size, g)]
        writer.put("image", image)
        writer.put("labels", labels)
        sp = FOV_MM / size
        return {"spacing": [sp, sp], "spacing_unit": "mm", "axes": "yx",
                "units": "8-bit display levels (log intensity)", "simulator": "synthzoo_oct.testset.simulate",
                "parameters": {**dict(spec.params), "geometry": g}}
