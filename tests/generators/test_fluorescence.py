"""Fluorescence: packed nuclei, z-elongated PSF, shot + read noise, instance labels."""

import pytest
import torch

from synthzoo.generators import create
from synthzoo.generators.engine.base import Geometry, State
from synthzoo.generators.domains.fluorescence import PSF, CameraNoise


def _geom(shape):
    return Geometry(shape[0], tuple(shape[2:]), 1, torch.device("cpu"), (1.0,) * (len(shape) - 2))


def _run(step, img, seed=0):
    p = step.sample_params(_geom(img.shape), generator=torch.Generator().manual_seed(seed))
    return step.apply(State(torch.zeros_like(img).long(), img), params=p).image, p


def test_psf_of_a_point_is_longer_along_z():
    img = torch.zeros((1, 1, 33, 33, 33))
    img[0, 0, 16, 16, 16] = 1.0
    out, p = _run(PSF(sigma_xy=1.0, z_ratio=3.0), img)
    x = torch.arange(33.0) - 16
    prof = [out[0, 0].sum(dim=tuple(a for a in range(3) if a != axis)) for axis in range(3)]
    spread = [float((pr * x**2).sum() / pr.sum()).__pow__(0.5) for pr in prof]
    assert spread[0] == pytest.approx(3.0, rel=0.1)
    assert spread[1] == pytest.approx(1.0, rel=0.1) and spread[2] == pytest.approx(1.0, rel=0.1)
    assert torch.allclose(p["sigma"], torch.tensor([[3.0, 1.0, 1.0]]))


def test_generated_volume_is_smoother_along_z():
    gen = create("fluorescence", out_size=32, photons=1e6, read_noise=0.0, background=0.0)
    g = torch.Generator().manual_seed(0)
    labels = gen.default_labels(batch=2, size=32, dims=3, generator=g)
    img = gen(labels, generator=g).image
    dz = (img[:, :, 1:] - img[:, :, :-1]).square().mean()
    dx = (img[..., 1:] - img[..., :-1]).square().mean()
    assert dz < 0.6 * dx


def test_shot_noise_variance_equals_mean():
    img = torch.full((1, 1, 200, 200), 0.5)
    out, _ = _run(CameraNoise(photons=100.0, read=0.0), img)
    counts = out * 100.0
    assert float(counts.mean()) == pytest.approx(50.0, rel=0.02)
    assert float(counts.var()) == pytest.approx(float(counts.mean()), rel=0.05)
    assert torch.allclose(counts, counts.round())  # whole photons


def test_read_noise_adds_variance():
    img = torch.full((1, 1, 200, 200), 0.2)
    out, _ = _run(CameraNoise(photons=100.0, read=3.0), img)
    counts = out * 100.0
    assert float(counts.var()) == pytest.approx(20.0 + 9.0, rel=0.06)


def test_density_controls_object_count():
    def count(fill):
        gen = create("fluorescence", instances=True, fill=fill, object_size=8.0)
        lab = gen.default_labels(batch=1, size=64, dims=2, generator=torch.Generator().manual_seed(0))
        return lab.unique().numel() - 1

    assert count(0.2) < 0.5 * count(1.0)
    assert count(1.0) > 30


def test_instance_and_binary_targets():
    g = torch.Generator().manual_seed(0)
    inst = create("fluorescence", instances=True, out_size=48)
    labels = inst.default_labels(batch=1, size=48, dims=2, generator=g)
    ids = labels.unique()
    assert torch.equal(ids, torch.arange(ids.numel()))  # 0 and instances 1..N
    s = inst(labels, generator=g)
    assert s.labels.unique().numel() > 10
    binary = create("fluorescence", out_size=48)
    sb = binary(labels, generator=torch.Generator().manual_seed(0))
    assert set(sb.labels.unique().tolist()) == {0, 1}
    assert binary.label_names == ("background", "nucleus")


def test_max_objects_is_respected_and_validated():
    gen = create("fluorescence", instances=True, max_objects=20, object_size=6.0, fill=1.0)
    lab = gen.default_labels(batch=1, size=64, dims=2, generator=torch.Generator().manual_seed(0))
    assert int(lab.max()) <= 20
    with pytest.raises(ValueError, match="max_objects"):
        create("fluorescence", max_objects=0)


def test_widefield_contrast_is_fixed_and_random_varies():
    from synthzoo.generators.engine.intensity import GaussianMixture

    from gen_helpers import check_contrast_option

    check_contrast_option("fluorescence", "widefield", GaussianMixture, "means")


def test_domain_and_labels_match_the_fluorescence_nuclei_test_set():
    from synthzoo.datasets import get_builder

    gen, ts = create("fluorescence"), get_builder("fluorescence-nuclei")
    assert gen.domain == ts.domain and tuple(gen.label_names) == tuple(ts.label_names)
