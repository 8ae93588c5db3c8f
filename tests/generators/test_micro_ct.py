import math

import pytest
import torch

from gen_helpers import class_values_and_expected
from synthzoo.generators import create
from synthzoo.generators.engine.base import Geometry, State
from synthzoo.generators.domains.micro_ct import (FIBRE, GRAIN, INCLUSION, MATRIX, PORE, STRUCTURES, PhotonNoise,
                                                  cylinder_mask, fibres, field, granular, porous, voronoi)
from synthzoo.generators.physics.tomography import ReconNoise, RingArtifact

OFF = dict(texture=0.0, scaling=1.0, shear=0.0, svf_std=0.0, flip=0.0, blur=0.0, cupping=0.0,
           p_streaks=0.0, i0=1e12, p_rings=0.0, recon_blur=0.0)


def _geom(shape, n_labels=1):
    return Geometry(shape[0], tuple(shape[2:]), n_labels, torch.device("cpu"), (1.0,) * (len(shape) - 2))


def test_ring_artifact_is_radially_symmetric_in_2d():
    ring = RingArtifact(amplitude=0.1, density=0.3, shift=0.0, prob=1.0)
    img = torch.zeros(1, 1, 41, 41)
    p = ring.sample_params(_geom(img.shape), generator=torch.Generator().manual_seed(0))
    f = ring.apply(State(img.long(), img), params=p).image[0, 0]
    assert float(f.abs().max()) > 0.01
    for g in (f.T, f.flip(0), f.flip(1), f.rot90(1)):
        assert torch.allclose(f, g, atol=1e-6)
    # the value depends on the radius only: the profile, linearly interpolated
    prof = p["profile"][0]
    assert math.isclose(float(f[20, 20]), float(prof[0]), abs_tol=1e-6)
    assert math.isclose(float(f[20, 27]), float(prof[7]), abs_tol=1e-6)


def test_rings_are_the_same_in_every_plane_of_a_3d_image():
    ring = RingArtifact(amplitude=0.1, prob=1.0)
    img = torch.zeros(1, 1, 16, 16, 6)
    p = ring.sample_params(_geom(img.shape), generator=torch.Generator().manual_seed(1))
    f = ring.apply(State(img.long(), img), params=p).image[0, 0]
    assert torch.allclose(f, f[..., :1].expand_as(f))


def test_photon_noise_variance_scales_inversely_with_transmitted_counts():
    pn = PhotonNoise(i0=2000.0, path_length=1.0)
    mu = torch.cat([torch.full((1, 1, 128, 128), m) for m in (0.2, 1.5)])
    p = pn.sample_params(_geom(mu.shape), generator=torch.Generator().manual_seed(0))
    out = pn.apply(State(mu.long(), mu), params=p).image
    for b, m in enumerate((0.2, 1.5)):
        expected_var = 1 / (2000 * math.exp(-m))
        assert math.isclose(float(out[b].mean()), m, abs_tol=0.01)
        assert math.isclose(float(out[b].var()), expected_var, rel_tol=0.1)
    assert float(out[1].var()) > 3 * float(out[0].var())  # dense phases are noisier


def test_phase_means_are_the_drawn_attenuations_when_artifacts_are_off():
    gen = create("micro-ct", p_random_contrast=0.0, **OFF)
    lab = gen.default_labels(batch=3, size=(48, 48), dims=2, generator=torch.Generator().manual_seed(0))
    params = gen.sample_params(lab, generator=torch.Generator().manual_seed(1))
    s = gen.apply(lab, params=params)
    means = params[1]["means"][:, 0]
    ranges = [(0.0, 0.08), (0.35, 0.7), (0.15, 0.45), (0.2, 0.8), (0.9, 2.0)]
    for b in range(3):
        assert all(lo <= float(means[b, k]) <= hi for k, (lo, hi) in enumerate(ranges))
        for vals, e in class_values_and_expected(s.image, lab, means, b):
            assert torch.allclose(vals, torch.full_like(vals, e), atol=1e-3)
    assert torch.equal(s.labels, lab)  # every phase is a target label


def test_voronoi_distances_are_ordered_and_cells_cover_the_grid():
    g = torch.Generator().manual_seed(0)
    d1, d2, sid = voronoi((40, 40), 8.0, generator=g)
    assert (d1 <= d2).all() and float(d1.max()) <= 2 * 8.0 * math.sqrt(2)
    n_cells = len(sid.unique())
    assert 20 <= n_cells <= 49  # about (40 / 8)^2 seeds fall in the grid
    # each voxel's nearest seed is nearer than the mean cell size
    assert float(d1.mean()) < 8.0


@pytest.mark.parametrize("maker,phases", [(granular, {PORE, GRAIN}), (porous, {PORE, MATRIX}),
                                          (fibres, {MATRIX, FIBRE}), (field, {PORE, MATRIX})])
def test_structures_have_their_phases(maker, phases):
    for seed, size in ((0, (64, 64)), (1, (24, 24, 24))):
        lab = maker(size, torch.Generator().manual_seed(seed))
        assert lab.shape == size and lab.dtype == torch.int64
        present = set(lab.unique().tolist())
        assert phases <= present and present <= {PORE, GRAIN, MATRIX, FIBRE, INCLUSION}
        for k in phases:
            assert 0.01 < float((lab == k).float().mean()) < 0.99


def test_cylindrical_cores_are_in_air():
    g = torch.Generator().manual_seed(0)
    inside = cylinder_mask((32, 32, 4), 0.9, g)
    assert inside[16, 16].all() and not inside[0, 0].any()
    gen = create("micro-ct", p_cylinder=1.0, structures=("porous",))
    lab = gen.default_labels(batch=2, size=32, dims=3, generator=torch.Generator().manual_seed(0))
    assert (lab[:, 0, 0, 0] == PORE).all() and (lab[:, 0, 16, 16] == MATRIX).any()


def test_cylinder_radius_sets_how_much_air_around_the_core_is_in_view():
    import numpy as np

    def air(radius):
        gen = create("micro-ct", p_cylinder=1.0, structures=("porous",), cylinder_radius=radius)
        lab = gen.default_labels(batch=4, size=64, dims=2, generator=torch.Generator().manual_seed(1))
        yy, xx = np.mgrid[0:64, 0:64] + 0.5
        ring = torch.from_numpy(np.hypot(yy - 32, xx - 32) > 0.7 * 32)  # outside 0.7 of half the view
        return float((lab[:, 0][:, ring] == PORE).float().mean())

    # a core of half the view leaves the outer ring all air; the default (0.8-1.0) only the rim
    assert air(0.5) > 0.99 and air((0.8, 1.0)) < 0.7
    # the default draws exactly what recipes written before it drew
    a = create("micro-ct", p_cylinder=1.0).default_labels(batch=2, size=32, dims=2, generator=torch.Generator().manual_seed(4))
    b = create("micro-ct", p_cylinder=1.0, cylinder_radius=(0.8, 1.0)).default_labels(
        batch=2, size=32, dims=2, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and create("micro-ct").config()["cylinder_radius"] == [0.8, 1.0]
    for bad in ((0.9, 0.5), (0.0, 1.0), (0.5,), -1.0):
        with pytest.raises(ValueError, match="cylinder_radius"):
            create("micro-ct", cylinder_radius=bad)


def test_field_pores_are_a_thresholded_random_field_of_random_porosity_and_scale():
    from scipy import ndimage

    porosity, blobs = [], []
    for seed in range(12):
        lab = field((96, 96), torch.Generator().manual_seed(seed))
        assert set(lab.unique().tolist()) <= {PORE, MATRIX, INCLUSION}
        pores = (lab == PORE).numpy()
        porosity.append(pores.mean())
        blobs.append(ndimage.label(pores)[1])
    # 8-45 % asked; dense inclusions take a few percent of it back
    assert 0.05 < min(porosity) and max(porosity) < 0.46 and max(porosity) - min(porosity) > 0.1
    # the correlation length varies: some samples are fine-grained (many pore clusters), some coarse
    assert max(blobs) > 3 * min(blobs)
    # 3D works, and the default structures stay what the recipes written before were drawn from
    assert field((24, 24, 24), torch.Generator().manual_seed(0)).shape == (24, 24, 24)
    assert "field" not in STRUCTURES and "field" not in create("micro-ct").structures
    gen = create("micro-ct", structures=("field",), p_cylinder=0.0, targets="pore-matrix-inclusion", **OFF)
    lab = gen.default_labels(batch=2, size=32, dims=2, generator=torch.Generator().manual_seed(0))
    assert set(lab.unique().tolist()) <= {PORE, MATRIX, INCLUSION} and (lab == PORE).any()


def test_field_sigma_sets_how_fine_the_random_field_pores_are():
    from scipy import ndimage

    def clusters(sigma):
        gen = create("micro-ct", structures=("field",), p_cylinder=0.0, field_sigma=sigma, **OFF)
        lab = gen.default_labels(batch=4, size=96, dims=2, generator=torch.Generator().manual_seed(3))
        return sum(ndimage.label((lab[i, 0] == PORE).numpy())[1] for i in range(4))

    # pores at a correlation length of half a voxel are many small clusters; at 4-6 voxels, few
    fine, coarse = clusters((0.5, 0.6)), clusters((4.0, 6.0))
    assert fine > 10 * coarse
    assert create("micro-ct", field_sigma=(0.5, 6.0)).config()["field_sigma"] == [0.5, 6.0]
    for bad in ((2.0, 1.0), (0.0, 1.0), (1.0,)):
        with pytest.raises(ValueError, match="field_sigma"):
            create("micro-ct", field_sigma=bad)


def test_unknown_structure_is_rejected_with_the_valid_ones():
    with pytest.raises(ValueError, match="granular, porous, fibres, field"):
        create("micro-ct", structures=("sand",))


def test_pore_matrix_inclusion_targets_merge_the_solid_phases():
    gen = create("micro-ct", targets="pore-matrix-inclusion", **OFF)
    assert gen.label_names == ("pore", "matrix", "inclusion")
    lab = torch.tensor([PORE, GRAIN, MATRIX, FIBRE, INCLUSION]).view(1, 1, 5, 1).expand(1, 1, 5, 4).contiguous()
    s = gen(lab, generator=torch.Generator().manual_seed(0))
    assert s.labels[0, 0, :, 0].tolist() == [0, 1, 1, 1, 2]
    with pytest.raises(ValueError, match="phases, pore-matrix-inclusion"):
        create("micro-ct", targets="solid")


def test_fixed_contrast_is_fixed_and_random_varies():
    from synthzoo.generators.domains.micro_ct import Attenuation

    from gen_helpers import check_contrast_option

    check_contrast_option("micro-ct", "fixed", Attenuation, "means", targets="pore-matrix-inclusion",
                          placement=("z_centre", "z_extent"))  # where streaks lie along z (3D)


def test_pore_targets_match_the_micro_ct_pores_test_set():
    from synthzoo.datasets import get_builder

    gen, ts = create("micro-ct", targets="pore-matrix-inclusion"), get_builder("micro-ct-pores")
    assert gen.domain == ts.domain and tuple(gen.label_names) == tuple(ts.label_names)


def test_stationary_noise_makes_pores_as_noisy_as_the_solid():
    """Photon noise alone leaves the pores (little attenuation) quieter than the solid; the
    stationary noise of a filtered back-projection is the same everywhere, so with it the
    pores' noise approaches the solid's."""
    from scipy import ndimage

    def noise_ratio(std) -> float:
        gen = create("micro-ct", targets="pore-matrix-inclusion", p_random_contrast=0.0,
                     **{**OFF, "i0": 300.0, "path_length": 2.0, "stationary_noise": std})
        lab = gen.default_labels(batch=8, size=(64, 64), dims=2, generator=torch.Generator().manual_seed(0))
        s = gen(lab, generator=torch.Generator().manual_seed(1))
        ratios = []
        for b in range(8):
            img, t = s.image[b, 0].numpy(), s.labels[b, 0].numpy()
            hp = img - ndimage.uniform_filter(img, 3)
            inner = {k: ndimage.binary_erosion(t == k) for k in (0, 1)}
            if min(int(m.sum()) for m in inner.values()) > 50:
                ratios.append(hp[inner[0]].std() / hp[inner[1]].std())
        assert len(ratios) >= 4
        return float(sum(ratios) / len(ratios))

    quiet, stationary = noise_ratio(0.0), noise_ratio(0.2)
    assert quiet < 0.75 and stationary > 0.85, (quiet, stationary)
    assert not any(type(st).__name__ == "Noise" for st in create("micro-ct").steps)  # default: none
    gen = create("micro-ct", contrast="fixed", stationary_noise=0.03)  # a fixed scanner: one level
    k = next(i for i, st in enumerate(gen.steps) if type(st).__name__ == "Noise")
    assert type(gen.steps[k - 1]).__name__ == "PhotonNoise"
    p = gen.sample_params(gen.default_labels(batch=2, size=32, dims=2, generator=torch.Generator().manual_seed(0)),
                          generator=torch.Generator().manual_seed(0))
    assert torch.allclose(p[k]["std"], torch.tensor([0.03, 0.03]))


def _radial_power(planes: torch.Tensor) -> list[float]:
    """Mean power of ``(N, n, n)`` planes in five rings of 0.1 cycles per voxel."""
    n = planes.shape[-1]
    power = torch.fft.fft2(planes).abs().square().mean(0)
    f = torch.fft.fftfreq(n)
    r = torch.sqrt(f.view(-1, 1) ** 2 + f.view(1, -1) ** 2)
    return [float(power[(r >= lo) & (r < lo + 0.1)].mean()) for lo in (0.0, 0.1, 0.2, 0.3, 0.4)]


def test_recon_noise_has_the_ramp_times_window_spectrum():
    g = torch.Generator().manual_seed(0)
    blank = State(torch.zeros((6, 1, 64, 64), dtype=torch.long), torch.zeros((6, 1, 64, 64)), (1.0, 1.0))
    hann = ReconNoise(std=0.1, cutoff=1.0)(blank, generator=g).image
    assert abs(float(hann.std()) - 0.1) < 0.005
    p = _radial_power(hann[:, 0])
    # filtered back-projection noise: little power near zero frequency, a mid-frequency peak,
    # and the Hann window takes away the highest frequencies
    assert p[1] > 1.3 * p[0] and p[1] > 20 * p[4]
    assert float(hann.mean((-2, -1)).abs().max()) < 1e-5  # the ramp has no zero frequency
    ramp = ReconNoise(std=0.1, cutoff=4.0)(blank, generator=g).image
    q = _radial_power(ramp[:, 0])
    assert q[4] > q[1] > q[0]  # the bare ramp rises to the Nyquist frequency
    # 3D: every plane across the rotation axis (the last) has the same in-plane spectrum,
    # independent of its neighbours
    vol = State(torch.zeros((2, 1, 64, 64, 6), dtype=torch.long), torch.zeros((2, 1, 64, 64, 6)), (1.0,) * 3)
    v = ReconNoise(std=0.1, cutoff=1.0)(vol, generator=g).image
    p3 = _radial_power(v[:, 0].movedim(-1, 1).reshape(-1, 64, 64))
    assert p3[1] > 1.3 * p3[0] and p3[1] > 20 * p3[4]
    assert abs(float(torch.corrcoef(torch.stack([v[0, 0, ..., 0].flatten(), v[0, 0, ..., 1].flatten()]))[0, 1])) < 0.1
    none = ReconNoise(std=0.1, prob=0.0)(blank, generator=g).image
    assert float(none.abs().max()) == 0.0
    with pytest.raises(ValueError, match="prob"):
        ReconNoise(prob=1.5)


def test_recon_noise_is_drawn_only_where_the_recipe_asks_for_it():
    steps = [type(s).__name__ for s in create("micro-ct").steps]
    assert "ReconNoise" not in steps
    gen = create("micro-ct", recon_noise=(0.0, 0.15), recon_noise_cutoff=1.0)
    names = [type(s).__name__ for s in gen.steps]
    assert names.index("ReconNoise") == names.index("Normalize") - 1
    s = gen(gen.default_labels(batch=2, size=32, dims=2, generator=torch.Generator().manual_seed(1)),
            generator=torch.Generator().manual_seed(2))
    assert s.image.shape == (2, 1, 32, 32) and torch.isfinite(s.image).all()
