import math

import pytest
import torch

from synthzoo.generators.engine.base import Geometry, State
from synthzoo.generators.engine.intensity import (
    BiasField, Blur, GaussianMixture, Gamma, Noise, Normalize, PoissonNoise, Resolution, blur, minmax,
)


def geom(shape, batch=2, n_labels=4, spacing=1.0):
    return Geometry(batch, tuple(shape), n_labels, torch.device("cpu"), (spacing,) * len(shape))


def blocks(shape=(32, 32, 32), batch=2):
    """Four big label regions: quarters along the first axis."""
    lab = torch.zeros((batch, 1, *shape), dtype=torch.long)
    q = shape[0] // 4
    for k in range(4):
        lab[:, :, k * q:(k + 1) * q] = k
    return lab


def run(step, state, seed=0, **gk):
    shape = state.image.shape[2:] if state.image is not None else state.labels.shape[2:]
    p = step.sample_params(geom(shape, batch=state.labels.shape[0], **gk), generator=torch.Generator().manual_seed(seed))
    return step.apply(state, params=p), p


def test_gmm_class_statistics_match_drawn_parameters():
    lab = blocks()
    out, p = run(GaussianMixture(), State(lab))
    img = out.image
    for b in range(2):
        for k in range(4):
            vals = img[b, 0][lab[b, 0] == k]
            m, s = float(p["means"][b, 0, k]), float(p["stds"][b, 0, k])
            assert 25 <= m <= 225 and 5 <= s <= 25
            assert abs(float(vals.mean()) - m) < 4 * s / math.sqrt(vals.numel())
            assert abs(float(vals.std()) - s) < 0.05 * s


def test_gmm_classes_share_intensity_and_background_can_be_zero():
    lab = blocks()
    out, p = run(GaussianMixture(stds=0.0, classes=[0, 1, 1, 2], zero_background=True), State(lab))
    img = out.image
    assert torch.all(img[lab == 0] == 0)
    assert torch.allclose(img[lab == 1], img[lab == 2])
    assert p["means"].shape == (2, 1, 3)


def test_gmm_multichannel_draws_independent_contrasts():
    out, p = run(GaussianMixture(channels=3), State(blocks()))
    assert out.image.shape == (2, 3, 32, 32, 32)
    assert not torch.allclose(p["means"][:, 0], p["means"][:, 1])


def test_bias_field_is_smooth_positive_and_off_at_zero_std():
    img = torch.ones((2, 1, 32, 32, 32))
    out, _ = run(BiasField(std=0.0), State(blocks(), img))
    assert torch.allclose(out.image, img)
    out, _ = run(BiasField(std=0.7), State(blocks(), img), seed=2)
    f = out.image
    assert float(f.min()) > 0 and float(f.std()) > 0.01
    step_ratio = (f[..., 1:] / f[..., :-1]).sub(1).abs().max()
    assert float(step_ratio) < 0.1  # smooth: neighbouring voxels differ by < 10 %


def test_gamma_is_identity_for_zero_log_gamma_and_monotone():
    img = torch.rand((2, 1, 16, 16)) * 100
    out, _ = run(Gamma(std=0.0), State(blocks((16, 16)), img))
    assert torch.allclose(out.image, minmax(img), atol=1e-6)
    out, p = run(Gamma(std=0.5), State(blocks((16, 16)), img), seed=1)
    order_in = img.flatten(1).argsort(1)
    sorted_out = torch.gather(out.image.flatten(1), 1, order_in)
    assert torch.all(sorted_out[:, 1:] >= sorted_out[:, :-1] - 1e-6)


def test_blur_preserves_constant_and_mean_and_reduces_variance():
    const = torch.full((2, 1, 20, 20, 20), 3.0)
    assert torch.allclose(blur(const, torch.full((2, 3), 2.0)), const, atol=1e-5)
    x = torch.randn((2, 1, 24, 24, 24), generator=torch.Generator().manual_seed(0))
    y = blur(x, torch.tensor([[1.5, 1.5, 1.5], [0.0, 0.0, 3.0]]))
    assert float(y[0].std()) < 0.3 * float(x[0].std())
    assert abs(float(y.mean() - x.mean())) < 0.02
    assert torch.equal(blur(x, torch.zeros((2, 3))), x)
    # per-sample, per-axis sigma: a signal varying only along the first axis is untouched by
    # a blur along the last axis and smoothed by one along the first
    ramp = torch.randn((1, 1, 24, 1, 1), generator=torch.Generator().manual_seed(2)).expand(2, 1, 24, 24, 24)
    z = blur(ramp.contiguous(), torch.tensor([[0.0, 0.0, 3.0], [3.0, 0.0, 0.0]]))
    assert torch.allclose(z[0], ramp[0], atol=1e-5)
    assert float((z[1] - ramp[1]).abs().max()) > 0.1
    out, p = run(Blur(sigma=(0.5, 2.0)), State(blocks(), x))
    assert p["sigma"].shape == (2, 3) and out.image.shape == x.shape


def test_resolution_off_at_native_and_thick_slices_smooth_one_axis():
    x = torch.randn((2, 1, 32, 32, 32), generator=torch.Generator().manual_seed(1))
    out, p = run(Resolution(iso=1.0, thick=1.0), State(blocks(), x))
    assert torch.allclose(out.image, x)
    out, p = run(Resolution(iso=1.0, thick=6.0, p_thick=1.0), State(blocks(), x, (1.0, 1.0, 1.0)), seed=3)
    for b in range(2):
        axis = int(p["resolution"][b].argmax())
        rough = [float(out.image[b].diff(dim=1 + a).abs().mean()) for a in range(3)]
        assert rough[axis] < 0.5 * min(r for a, r in enumerate(rough) if a != axis)


def test_noise_gaussian_std_and_rician_floor():
    img = torch.zeros((2, 1, 64, 64))
    out, p = run(Noise(std=0.1), State(blocks((64, 64)), img))
    assert abs(float(out.image.std()) - 0.1) < 0.01
    out, p = run(Noise(std=0.1, kind="rician"), State(blocks((64, 64)), img))
    assert float(out.image.min()) >= 0
    assert abs(float(out.image.mean()) - 0.1 * math.sqrt(math.pi / 2)) < 0.01  # Rayleigh mean
    with pytest.raises(ValueError, match="unknown noise kind 'pink'"):
        Noise(kind="pink")


def test_poisson_noise_keeps_mean_and_scales_variance():
    img = torch.full((2, 1, 64, 64), 0.5)
    out, p = run(PoissonNoise(peak=100.0), State(blocks((64, 64)), img))
    assert abs(float(out.image.mean()) - 0.5) < 0.01
    assert abs(float(out.image.var()) - 0.5 / 100) < 0.001


def test_normalize_to_unit_range():
    img = torch.randn((2, 2, 8, 8)) * 50 + 7
    out, _ = run(Normalize(), State(blocks((8, 8)), img))
    flat = out.image.flatten(2)
    assert torch.allclose(flat.amin(-1), torch.zeros(2, 2)) and torch.allclose(flat.amax(-1), torch.ones(2, 2))


def test_gaussian_mixture_groups_share_intensities_in_grouped_samples():
    from synthzoo.generators.engine.base import Geometry
    from synthzoo.generators.engine.intensity import GaussianMixture

    groups = [0, 1, 1, 2, 2, 2]
    gm = GaussianMixture(groups=groups, p_grouped=0.5)
    geom = Geometry(400, (4, 4), 6, torch.device("cpu"), (1.0, 1.0))
    m = gm.sample_params(geom, generator=torch.Generator().manual_seed(0))["means"][:, 0]
    shared = (m[:, 1] == m[:, 2]) & (m[:, 3] == m[:, 4]) & (m[:, 4] == m[:, 5])
    assert 0.4 < shared.float().mean() < 0.6  # about half the samples are grouped
    assert not (m[~shared][:, 1] == m[~shared][:, 2]).any()  # the others draw per class
    assert (m[shared][:, 0] != m[shared][:, 1]).all()  # groups still differ from each other
    never = GaussianMixture(groups=groups, p_grouped=0.0).sample_params(geom, generator=torch.Generator().manual_seed(0))
    assert not (never["means"][:, 0, 1] == never["means"][:, 0, 2]).any()
    with pytest.raises(ValueError, match="p_grouped > 0 needs groups"):
        GaussianMixture(p_grouped=0.3)


def test_gaussian_mixture_separation_keeps_separated_groups_apart_in_any_order():
    groups = [0, 1, 1, 2, 2, 3]
    geom6 = Geometry(2000, (4, 4), 6, torch.device("cpu"), (1.0, 1.0))
    gm = GaussianMixture(means=(25.0, 225.0), groups=groups, p_grouped=1.0, separate=[1, 2, 3], separation=30.0)
    m = gm.sample_params(geom6, generator=torch.Generator().manual_seed(0))["means"][:, 0]
    tissue = m[:, [1, 3, 5]]  # one class of each separated group
    gaps = (tissue[:, :, None] - tissue[:, None, :]).abs() + 1e9 * torch.eye(3)
    assert gaps.amin() >= 30.0 - 1e-3
    assert tissue.amin() >= 25.0 and tissue.amax() <= 225.0
    assert (m[:, 1] == m[:, 2]).all() and (m[:, 3] == m[:, 4]).all()  # groups still shared
    # every one of the 6 orders of the three tissues is drawn, each about equally often
    order = tissue.argsort(dim=1)
    codes = order[:, 0] * 9 + order[:, 1] * 3 + order[:, 2]
    counts = torch.bincount(codes, minlength=27)[codes.unique()]
    assert len(counts) == 6 and counts.min() > 2000 / 6 * 0.8
    # a tissue spreads over the whole range (uniform over the allowed configurations)
    assert tissue[:, 0].amin() < 35 and tissue[:, 0].amax() > 215
    # without separation about a third of such draws has a pair closer than 30
    free = GaussianMixture(groups=groups, p_grouped=1.0).sample_params(geom6, generator=torch.Generator().manual_seed(0))
    t = free["means"][:, 0, [1, 3, 5]]
    close = ((t[:, :, None] - t[:, None, :]).abs() + 1e9 * torch.eye(3)).amin(dim=(1, 2)) < 30
    assert close.float().mean() > 0.3
    with pytest.raises(ValueError, match="do not fit"):
        GaussianMixture(means=(0.0, 50.0), separate=[0, 1, 2], separation=30.0)
    with pytest.raises(ValueError, match="uniform range"):
        GaussianMixture(means=100.0, separate=[0, 1], separation=10.0)
    with pytest.raises(ValueError, match="separation must be >= 0"):
        GaussianMixture(separation=-1.0)


def test_neuro_mri_separation_applies_to_csf_gm_wm():
    from synthzoo.generators import create

    gen = create("neuro-mri", spacing=1.5, p_grouped=1.0, separation=40.0)
    gm = next(s for s in gen.steps if isinstance(s, GaussianMixture))
    assert len(gm.separate) == 3 and gm.separation == 40.0
    assert create("neuro-mri", spacing=1.5).steps[1].separation == 0.0  # off by default


def test_gaussian_mixture_p_close_brings_one_random_pair_of_tissues_within_close_of_each_other():
    groups = [0, 1, 1, 2, 2, 3]
    geom6 = Geometry(3000, (4, 4), 6, torch.device("cpu"), (1.0, 1.0))

    def tissue_means(**kw):
        gm = GaussianMixture(groups=groups, p_grouped=1.0, separate=[1, 2, 3], **kw)
        return gm.sample_params(geom6, generator=torch.Generator().manual_seed(0))["means"][:, 0]

    def closest(t):  # per sample, the smallest relative difference of a pair of the three tissues
        rel = (t[:, :, None] / t[:, None, :] - 1).abs() + 1e9 * torch.eye(3)
        return rel.amin(dim=(1, 2))

    free, m = tissue_means(), tissue_means(p_close=0.5, close=0.1)
    assert (m[:, 1] == m[:, 2]).all() and (m[:, 3] == m[:, 4]).all()  # groups still shared
    t = m[:, [1, 3, 5]]
    near = closest(t) <= 0.1 + 1e-6
    # half the samples get a close pair, plus the uniform draws that have one anyway
    base = float((closest(free[:, [1, 3, 5]]) <= 0.1).float().mean())
    assert 0.05 < base < 0.4 and abs(float(near.float().mean()) - (0.5 + 0.5 * base)) < 0.05
    # every ordered pair of the three tissues is the one brought close, about equally often
    changed = (t != free[:, [1, 3, 5]])  # the second of the pair took a new mean
    assert (changed.sum(1) <= 1).all()
    counts = changed.sum(0)
    assert counts.min() > 0.5 * 3000 / 3 * 0.85 and counts.max() < 0.5 * 3000 / 3 * 1.15
    assert torch.equal(tissue_means(p_close=0.0), free)  # off: the draws of before
    with pytest.raises(ValueError, match="needs two or more separate classes"):
        GaussianMixture(groups=groups, p_grouped=1.0, p_close=0.3)
    with pytest.raises(ValueError, match="p_close is a probability"):
        GaussianMixture(groups=groups, p_grouped=1.0, separate=[1, 2], p_close=1.5)
    with pytest.raises(ValueError, match="close is a relative difference"):
        GaussianMixture(groups=groups, p_grouped=1.0, separate=[1, 2], p_close=0.5, close=1.0)
