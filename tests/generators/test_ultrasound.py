"""Ultrasound: speckle statistics, attenuation, shadows and the sector field of view."""

import math

import pytest
import torch

from synthzoo.generators import create
from synthzoo.generators.engine.base import Geometry
from synthzoo.generators.domains.ultrasound import BMode

QUIET = dict(attenuation=0.0, tgc_slope=0.0, tgc_std=0.0, noise=0.0, reflector=False)


def _envelope(step, shape, seed=0):
    labels = torch.zeros(shape, dtype=torch.long)
    geom = Geometry(shape[0], tuple(shape[2:]), 1, torch.device("cpu"), (1.0,) * (len(shape) - 2))
    params = step.sample_params(geom, generator=torch.Generator().manual_seed(seed))
    return step.envelope(labels, params)


def test_fully_developed_speckle_is_rayleigh():
    env = _envelope(BMode(n_labels=1, density=1.0, **QUIET), (2, 1, 160, 160))
    for e in env:  # per sample: the echogenicity is drawn per sample
        ratio = float(e.mean() / e.std())
        assert abs(ratio - math.sqrt(math.pi / (4 - math.pi))) < 0.08  # Rayleigh: 1.913
        intensity = e.square()
        assert abs(float(intensity.std() / intensity.mean()) - 1.0) < 0.08  # exponential


def test_sparse_scatterers_are_not_rayleigh():
    env = _envelope(BMode(n_labels=1, density=0.01, lateral_sigma=0.8, axial_sigma=0.4, **QUIET),
                    (2, 1, 160, 160))
    for e in env:
        assert float(e.mean() / e.std()) < 1.6


def test_depth_attenuation_round_trip():
    a = 2.0  # nepers per image depth, one way
    quiet = {**QUIET, "attenuation": a}
    env = _envelope(BMode(n_labels=1, density=1.0, **quiet), (4, 1, 200, 100))
    n = env.shape[2]
    shallow = env[:, :, int(0.2 * n) : int(0.3 * n)].mean()
    deep = env[:, :, int(0.7 * n) : int(0.8 * n)].mean()
    expected = math.exp(-2 * a * 0.5)
    assert abs(float(deep / shallow) / expected - 1) < 0.2


def _geometry_fixed(**kw):
    return create("ultrasound", out_size=96, rotation=0.0, scaling=1.0, svf_std=0.0,
                  half_angle=40.0, apex=0.2, depth=1.0, shift=0.0, **kw)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shadow_behind_reflector(seed):
    gen = _geometry_fixed(echo=0.5, attenuation=0.2, tgc_slope=0.0, tgc_std=0.0)
    labels = torch.zeros((1, 1, 96, 96), dtype=torch.long)
    labels[0, 0, 22:26, 40:56] = gen.n_labels - 1  # a flat reflector, centred laterally
    s = gen(labels, generator=torch.Generator().manual_seed(seed))
    img = s.image[0, 0]
    below = img[55:85, 44:52].mean()
    beside = torch.cat([img[55:85, 10:25].flatten(), img[55:85, 71:86].flatten()]).mean()
    above = img[8:18, 44:52].mean()
    assert below < 0.5 * beside
    assert above > 2 * below
    top_edge = img[20:26, 44:52].mean(1).max()
    assert top_edge > beside  # the reflector's top edge is bright


@pytest.mark.parametrize("dims,size", [(2, 64), (3, 24)])
def test_outside_sector_is_zero_and_background(dims, size):
    gen = create("ultrasound", out_size=size)
    g = torch.Generator().manual_seed(3)
    labels = gen.default_labels(batch=4, size=size, dims=dims, generator=g)
    params = gen.sample_params(labels, generator=g)
    s = gen.apply(labels, params=params)
    _, inside = gen.steps[-1].polar_coords(params[-1], (size,) * dims)
    assert (~inside).any() and inside.any()
    assert torch.all(s.image[~inside] == 0)
    assert torch.all(s.labels[~inside] == 0)
    assert float(s.image[inside].mean()) > 0.1
    assert 0 <= float(s.image.min()) and float(s.image.max()) <= 1
    # the fan is random: sector masks differ between samples of the batch
    assert not torch.equal(inside[0], inside[1])


def test_default_labels_have_layers_on_top_and_all_structures():
    gen = create("ultrasound")
    labels = gen.default_labels(batch=6, size=64, dims=2, generator=torch.Generator().manual_seed(0))
    assert torch.all(labels[:, 0, 0, :] == 1)  # first layer touches the transducer
    present = set(labels.unique().tolist())
    assert set(range(1, 1 + gen.n_layers)) <= present
    assert gen.n_labels - 1 in present  # a reflector in at least one of six maps
    assert len(gen.label_names) == gen.n_labels


def test_unknown_option_is_a_clear_error():
    with pytest.raises(TypeError, match="ultrasound: .*speckle_size.*BMode"):
        create("ultrasound", speckle_size=3)


def test_fixed_contrast_is_fixed_and_random_varies():
    from gen_helpers import check_contrast_option

    check_contrast_option("ultrasound", "fixed", BMode, "echo", positive=True, targets="lesions")


@pytest.mark.parametrize("contrast", ["random", "fixed"])
def test_lesion_targets_mean_what_the_test_set_means(contrast):
    """targets="lesions": the ultrasound-phantoms label set; hypoechoic lesions darker than the
    background around them, hyperechoic brighter, cysts darker (attenuation varies with depth,
    so each lesion is compared with the background in a 5-voxel ring around it)."""
    from synthzoo.datasets import get_builder

    gen, ts = create("ultrasound", targets="lesions", contrast=contrast), get_builder("ultrasound-phantoms")
    assert gen.domain == ts.domain and tuple(gen.label_names) == tuple(ts.label_names)
    diffs = {1: [], 2: [], 3: []}
    for seed in range(4):
        labels = gen.default_labels(batch=4, size=96, dims=2, generator=torch.Generator().manual_seed(seed))
        s = gen(labels, generator=torch.Generator().manual_seed(seed))
        for b in range(4):
            inside = s.image[b] > 0
            for k in diffs:
                m = (s.labels[b] == k) & inside
                ring = torch.nn.functional.max_pool2d(m.float()[None], 11, 1, 5)[0].bool()
                ring &= (s.labels[b] == 0) & inside
                if int(m.sum()) > 30 and int(ring.sum()) > 30:
                    diffs[k].append(float(s.image[b][m].median() - s.image[b][ring].median()))
    assert all(diffs.values()), diffs
    assert max(diffs[1]) < 0 < min(diffs[2]) and max(diffs[3]) < 0, diffs
    with pytest.raises(ValueError, match="unknown ultrasound targets 'x'; valid: tissues, lesions"):
        create("ultrasound", targets="x")
