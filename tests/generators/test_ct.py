import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import torch

from synthzoo.generators import create
from synthzoo.generators.engine.base import Geometry, State
from synthzoo.generators.domains.ct import EXTRA_TISSUES, SKULL, QuantumNoise, Window
from synthzoo.generators.physics.tomography import Cupping, Streaks

OFF = dict(texture=0.0, hu_jitter=0.0, brain_contrast=1.0, rotation=0.0, scaling=1.0, shear=0.0,
           svf_std=0.0, flip=0.0, iso_resolution=4.0, slice_thickness=4.0, cupping=0.0,
           p_streaks=0.0, p_rings=0.0, noise_std=0.0, level=500.0, width=3200.0, p_full_range=0.0)


def _geom(shape, n_labels=1):
    return Geometry(shape[0], tuple(shape[2:]), n_labels, torch.device("cpu"), (1.0,) * (len(shape) - 2))


def test_window_maps_hounsfield_units_to_unit_interval():
    w = Window(level=40.0, width=80.0, p_full=0.0)
    hu = torch.tensor([-1000.0, 0.0, 20.0, 40.0, 60.0, 80.0, 2000.0]).view(1, 1, 7, 1)
    p = w.sample_params(_geom(hu.shape), generator=torch.Generator().manual_seed(0))
    out = w.apply(State(torch.zeros_like(hu, dtype=torch.long), hu), params=p).image.flatten()
    assert torch.allclose(out, torch.tensor([0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]))
    full = Window(level=40.0, width=80.0, p_full=1.0)  # the 12-bit range -1024..3071 HU
    p = full.sample_params(_geom(hu.shape), generator=torch.Generator().manual_seed(0))
    out = full.apply(State(torch.zeros_like(hu, dtype=torch.long), hu), params=p).image.flatten()
    assert torch.allclose(out, (hu.flatten() + 1024) / 4095)


def test_class_means_follow_hounsfield_priors_when_artifacts_are_off():
    gen = create("ct", spacing=4.0, **OFF)
    lab = gen.default_labels(batch=2, size=40, dims=3, generator=torch.Generator().manual_seed(0))
    params = gen.sample_params(lab, generator=torch.Generator().manual_seed(1))
    s = gen.apply(lab, params=params)
    means = params[1]["means"][:, 0]
    ranges = [(-1010, -950), (0, 20), (35, 50), (20, 35), (400, 2000)]
    for b in range(2):
        for k, (lo, hi) in enumerate(ranges):
            assert lo <= float(means[b, k]) <= hi
        for k in range(SKULL + 1, gen.n_labels):  # non-brain shapes: one of the tissue types
            assert any(lo <= float(means[b, k]) <= hi for lo, hi in EXTRA_TISSUES)
        for k in lab[b, 0].unique().tolist():
            vals = s.image[b, 0][lab[b, 0] == k]
            expected = (float(means[b, k]) - (500 - 1600)) / 3200
            assert torch.allclose(vals, torch.full_like(vals, expected), atol=1e-5)


def test_brain_contrast_stretches_about_the_brain_mean():
    base = create("ct", **{**OFF, "brain_contrast": 1.0})
    wide = create("ct", **{**OFF, "brain_contrast": 3.0})
    lab = torch.arange(base.n_labels).view(1, 1, -1, 1).expand(1, 1, -1, 4).contiguous()
    m1 = base.sample_params(lab, generator=torch.Generator().manual_seed(2))[1]["means"][0, 0, 1:4]
    m3 = wide.sample_params(lab, generator=torch.Generator().manual_seed(2))[1]["means"][0, 0, 1:4]
    assert torch.allclose(m3.mean(), m1.mean(), atol=1e-3)
    assert torch.allclose(m3 - m3.mean(), 3 * (m1 - m1.mean()), atol=1e-3)


def test_synthseg_heads_map_to_head_classes():
    from synthzoo.anatomy import get_source
    from synthzoo.generators.physics.anatomy import head_class_lut

    src = get_source("synthseg-20")
    lut, extra = head_class_lut(src)
    v = src.label_values
    assert extra == 10 and lut[v.index(515)] == SKULL and lut[v.index(0)] == 0
    assert [lut[v.index(x)] for x in (4, 3, 2, 17, 16)] == [1, 2, 3, 2, 3]
    assert sorted(lut[[v.index(x) for x in (502, 506, 507, 508, 509, 511, 512, 514, 516, 530)]].tolist()) == list(
        range(SKULL + 1, SKULL + 11))
    gen = create("ct")
    assert gen.n_labels == SKULL + 11
    lab = gen.default_labels(batch=2, size=(160, 160), dims=2, generator=torch.Generator().manual_seed(0))
    for b in range(2):
        vals = set(lab[b].unique().tolist())
        assert {0, 1, 2, 3, SKULL} <= vals and any(x > SKULL for x in vals)


def test_default_labels_put_skull_between_brain_and_shapes():
    gen = create("ct", spacing=4.0, anatomy="mni152-tissue")
    lab = gen.default_labels(batch=2, size=(48, 48), dims=2, generator=torch.Generator().manual_seed(0))
    for b in range(2):
        x = lab[b : b + 1].float()
        brain, skull = x.gt(0) & x.lt(SKULL), x.eq(SKULL)
        extra = x.gt(SKULL)
        assert skull.any() and extra.any()
        near_brain = torch.nn.functional.max_pool2d(brain.float(), 3, 1, 1) > 0
        assert not (near_brain & extra).any()  # shapes never touch the brain: skull in between
    s = gen(lab, generator=torch.Generator().manual_seed(1))
    assert set(s.labels.unique().tolist()) <= {0, 1, 2, 3}


def test_cupping_lowers_the_centre_of_a_water_phantom():
    cup = Cupping(strength=0.05, radius=1.0, shift=0.0, offset=1000.0, prob=1.0)
    img = torch.zeros(1, 1, 33, 33)  # water, 0 HU
    p = cup.sample_params(_geom(img.shape), generator=torch.Generator().manual_seed(0))
    out = cup.apply(State(img.long(), img), params=p).image[0, 0]
    assert math.isclose(float(out[16, 16]), -50.0, abs_tol=1e-3)  # (0 + 1000) (1 - 0.05) - 1000
    assert float(out[0, 16]) > float(out[8, 16]) > float(out[16, 16])
    assert torch.allclose(out, out.T) and torch.allclose(out, out.flip(0))


def test_streak_is_constant_along_its_line_and_fades_across_it():
    streaks = Streaks(n_streaks=1, amplitude=100.0, width=1.0, spread=0.3, prob=1.0)
    img = torch.zeros(1, 1, 65, 65)
    p = streaks.sample_params(_geom(img.shape), generator=torch.Generator().manual_seed(3))
    field = streaks.apply(State(img.long(), img), params=p).image[0, 0]
    a = float(p["amplitudes"][0, 0])
    th = float(p["angles"][0, 0])
    s = p["source"][0] * 32.5 + 32  # source in voxel indices
    for t in (-12, 0, 9):
        i, j = float(s[0]) + t * math.cos(th), float(s[1]) + t * math.sin(th)
        i, j = round(i), round(j)
        # nearest voxel to the line is within 0.71 voxel of it: at least exp(-0.25) of the peak
        assert abs(float(field[i, j])) >= 0.77 * abs(a) - 1e-3
    i = round(float(s[0]) + 8 * math.sin(th))
    j = round(float(s[1]) - 8 * math.cos(th))
    assert abs(float(field[i, j])) < 1e-3 * abs(a) + 1e-6


def test_quantum_noise_has_the_drawn_std_in_hounsfield_units():
    qn = QuantumNoise(std=12.0, correlation=1.0)
    img = torch.full((2, 1, 64, 64), 40.0)
    p = qn.sample_params(_geom(img.shape), generator=torch.Generator().manual_seed(0))
    out = qn.apply(State(img.long(), img), params=p).image
    assert abs(float(out.mean()) - 40.0) < 1.0
    assert torch.allclose(out.flatten(1).std(1), torch.tensor([12.0, 12.0]), rtol=1e-3)
    # correlated: neighbouring voxels are alike (white noise would give ~0)
    n = out[0, 0] - 40
    assert float((n[1:] * n[:-1]).mean() / (n * n).mean()) > 0.5


def test_bad_overrides_are_rejected_with_the_parameter_name():
    with pytest.raises(TypeError, match="level"):
        create("ct", level="brain")
    with pytest.raises(ValueError, match="extra_tissues"):
        create("ct", extra_tissues=())


@settings(max_examples=25, deadline=None)
@given(level=st.floats(-1000, 3000), width=st.floats(1, 4000),
       hu=st.lists(st.floats(-3000, 4000), min_size=1, max_size=16))
def test_window_output_is_monotone_in_unit_interval(level, width, hu):
    w = Window(level=level, width=width, p_full=0.5)
    x = torch.tensor(sorted(hu)).view(1, 1, -1, 1)
    p = w.sample_params(_geom(x.shape), generator=torch.Generator().manual_seed(0))
    out = w.apply(State(torch.zeros_like(x, dtype=torch.long), x), params=p).image.flatten()
    assert (out >= 0).all() and (out <= 1).all()
    assert (out[1:] >= out[:-1]).all()


def test_brain_only_label_maps_from_files_work():
    """A label map with only background/CSF/GM/WM (no skull, no shapes) is valid input."""
    gen = create("ct", spacing=4.0)
    lab = gen.default_labels(batch=1, size=32, dims=3, generator=torch.Generator().manual_seed(0))
    brain = torch.where(lab > 3, torch.zeros_like(lab), lab)
    s = gen(brain, generator=torch.Generator().manual_seed(1))
    assert torch.isfinite(s.image).all() and s.image.min() >= 0 and s.image.max() <= 1
