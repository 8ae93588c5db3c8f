import math

import torch

from gen_helpers import class_values_and_expected
from synthzoo.generators import create
from synthzoo.generators.engine.base import Geometry, State
from synthzoo.generators.engine.intensity import PoissonNoise
from synthzoo.generators.domains.pet import PSF, Uptake

OFF = dict(heterogeneity=0.0, rotation=0.0, scaling=1.0, shear=0.0, svf_std=0.0, flip=0.0,
           fwhm=0.0, voxel_size=4.0, slice_thickness=4.0, bias_std=0.0, peak_counts=1e7,
           smoothing=0.0)


def _geom(shape, n_labels=1, spacing=1.0):
    d = len(shape) - 2
    return Geometry(shape[0], tuple(shape[2:]), n_labels, torch.device("cpu"), (spacing,) * d)


def _hf_energy(img):
    """Energy above half the Nyquist frequency of a 2D image (B, 1, H, W)."""
    f = torch.fft.fftshift(torch.fft.fft2(img[:, 0]), dim=(-2, -1)).abs() ** 2
    H, W = f.shape[-2:]
    y, x = torch.meshgrid(torch.arange(H) - H // 2, torch.arange(W) - W // 2, indexing="ij")
    return f[..., (y.abs() > H // 4) | (x.abs() > W // 4)].sum()


def test_psf_removes_high_frequency_energy_more_for_larger_fwhm():
    img = torch.rand(1, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    energies = []
    for fwhm in (3.0, 6.0, 12.0):
        psf = PSF(fwhm=fwhm, axial_ratio=1.0)
        p = psf.sample_params(_geom(img.shape, spacing=2.0), generator=torch.Generator().manual_seed(0))
        assert torch.allclose(p["sigma"], torch.full((1, 2), fwhm / 2.3548 / 2.0), rtol=1e-3)
        energies.append(float(_hf_energy(psf.apply(State(img.long(), img), params=p).image)))
    before = float(_hf_energy(img))
    assert before > energies[0] > energies[1] > energies[2]
    assert energies[1] < 0.05 * before


def test_psf_is_wider_along_the_axial_axis_in_3d():
    psf = PSF(fwhm=6.0, axial_ratio=1.5)
    p = psf.sample_params(_geom((1, 1, 8, 8, 8)), generator=torch.Generator().manual_seed(0))
    assert torch.allclose(p["fwhm_mm"][0], torch.tensor([6.0, 6.0, 9.0]))


def test_poisson_count_noise_variance_scales_with_counts():
    # the PET count step: variance of counts / peak equals mean / peak
    gen = create("pet")
    step = next(s for s in gen.steps if isinstance(s, PoissonNoise))
    img = torch.cat([torch.full((1, 1, 128, 128), v) for v in (0.2, 0.8)])
    for peak in (20.0, 400.0):
        step.peak = PoissonNoise(peak=peak).peak
        p = step.sample_params(_geom(img.shape), generator=torch.Generator().manual_seed(1))
        out = step.apply(State(img.long(), img), params=p).image
        for b, mean in enumerate((0.2, 0.8)):
            assert math.isclose(float(out[b].mean()), mean, rel_tol=0.05)
            assert math.isclose(float(out[b].var()), mean / peak, rel_tol=0.1)


def test_class_intensities_are_the_drawn_uptakes_when_artifacts_are_off():
    gen = create("pet", spacing=4.0, gm_wm_ratio=4.0, **OFF)
    lab = gen.default_labels(batch=2, size=40, dims=3, generator=torch.Generator().manual_seed(0))
    params = gen.sample_params(lab, generator=torch.Generator().manual_seed(1))
    s = gen.apply(lab, params=params)
    means = params[1]["means"][:, 0]
    assert torch.allclose(means[:, 3], torch.ones(2)) and torch.allclose(means[:, 2], torch.full((2,), 4.0))
    for b in range(2):
        for vals, e in class_values_and_expected(s.image, lab, means, b):
            assert torch.allclose(vals.mean(), torch.tensor(e), atol=2e-3)
            assert float(vals.std()) < 2e-3


def test_partial_volume_lowers_grey_matter_contrast():
    off = {**OFF, "voxel_size": 2.0, "slice_thickness": 2.0, "background": 0.0}
    sharp = create("pet", spacing=2.0, gm_wm_ratio=4.0, **off)
    blurred = create("pet", spacing=2.0, gm_wm_ratio=4.0, **{**off, "fwhm": 8.0})
    lab = sharp.default_labels(batch=1, size=(96, 96), dims=2, generator=torch.Generator().manual_seed(0))
    ratios = []
    for gen in (sharp, blurred):
        s = gen(lab, generator=torch.Generator().manual_seed(1))
        img = s.image[0, 0]
        ratios.append(float(img[lab[0, 0] == 2].mean() / img[lab[0, 0] == 3].mean()))
    assert math.isclose(ratios[0], 4.0, rel_tol=0.05)
    assert ratios[1] < 0.8 * ratios[0]  # recovery coefficient < 1 for thin cortex


def test_uptake_covers_fdg_and_amyloid_like_contrasts():
    up = Uptake()
    p = up.sample_params(_geom((400, 1, 4, 4), n_labels=10), generator=torch.Generator().manual_seed(0))
    ratio = p["means"][:, 0, 2] / p["means"][:, 0, 3]
    assert float((ratio < 1).float().mean()) > 0.2 and float((ratio > 3).float().mean()) > 0.2
    assert (p["means"] >= 0).all() and float(p["means"][:, 0, 0].max()) <= 0.05
