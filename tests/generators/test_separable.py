"""The fast engine paths equal the plain sequential operations they replace."""

import pytest
import torch
import torch.nn.functional as F

from synthzoo.generators.engine.base import Geometry, State
from synthzoo.generators.engine.intensity import Resolution, _conv_blur, blur
from synthzoo.generators.engine.separable import apply_along, blur_matrix, interp_matrix
from synthzoo.generators.engine.spatial import RandomSpatial, centered_grid, upsample_grid


def rand(*shape, seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("n_in,n_out", [(7, 19), (19, 7), (5, 5), (2, 9), (1, 4)])
def test_interp_matrix_equals_interpolate(n_in, n_out):
    x = rand(1, 3, n_in)
    ref = F.interpolate(x, size=n_out, mode="linear", align_corners=True)
    assert torch.allclose(x @ interp_matrix(n_in, n_out).T, ref, atol=1e-6)


def test_blur_matrix_equals_reflect_padded_convolution():
    x = rand(2, 2, 9, 12, 10)
    sigma = torch.tensor([1.3, 0.6])
    for axis in range(3):
        n = x.shape[2 + axis]
        radius = min(4, n - 1)
        ref = _conv_blur(x, sigma, axis, radius)
        assert torch.allclose(apply_along(x, blur_matrix(sigma, n, radius), axis), ref, atol=1e-5)
    with pytest.raises(ValueError, match="blur radius 9 must lie in"):
        blur_matrix(sigma, 9, 9)


def test_apply_along_matches_einsum_on_every_axis():
    x = rand(2, 3, 4, 5, 6)
    for axis, letter in enumerate("xyz"):
        n = x.shape[2 + axis]
        m = rand(2, 7, n, seed=axis)
        spec = {"x": "bcxyz,bmx->bcmyz", "y": "bcxyz,bmy->bcxmz", "z": "bcxyz,bmz->bcxym"}[letter]
        assert torch.allclose(apply_along(x, m, axis), torch.einsum(spec, x, m), atol=1e-5)
    with pytest.raises(ValueError, match="do not fit axis 0"):
        apply_along(x, rand(2, 3, 5), 0)


def test_blur_is_the_same_on_matrix_and_convolution_paths(monkeypatch):
    import synthzoo.generators.engine.intensity as intensity

    x = rand(2, 1, 16, 20, 12)
    sigma = torch.tensor([[1.0, 2.0, 0.0], [0.5, 3.0, 1.5]])
    fast = blur(x, sigma)
    monkeypatch.setattr(intensity, "MATRIX_BLUR_MAX", 0)
    assert torch.allclose(fast, blur(x, sigma), atol=1e-5)


def test_resolution_equals_blur_then_interpolate_down_and_up():
    x = rand(2, 1, 24, 20, 16)
    step = Resolution(iso=(2.0, 4.0), thick=(3.0, 8.0), p_thick=0.5)
    geom = Geometry(2, (24, 20, 16), 4, torch.device("cpu"), (1.0, 1.0, 1.0))
    p = step.sample_params(geom, generator=torch.Generator().manual_seed(5))
    out = step.apply(State(torch.zeros((2, 1, 24, 20, 16), dtype=torch.long), x, (1.0,) * 3), params=p)
    for b in range(2):
        ref = blur(x[b : b + 1], p["sigma"][b : b + 1])
        low = [max(2, round(n / float(r))) for n, r in zip(x.shape[2:], p["resolution"][b])]
        ref = F.interpolate(ref, size=low, mode="trilinear", align_corners=True)
        ref = F.interpolate(ref, size=x.shape[2:], mode="trilinear", align_corners=True)
        assert torch.allclose(out.image[b : b + 1], ref, atol=1e-4)


@pytest.mark.parametrize("shape", [(40, 36, 32), (64, 48)])
def test_composed_grid_equals_sequential_composition(shape):
    """Composing affine + warp on the coarse grid and upsampling once equals upsampling the
    displacement first and applying the affine map at full resolution."""
    t = RandomSpatial(svf_std=4.0, translation=3.0)
    d = len(shape)
    g = Geometry(2, shape, 4, torch.device("cpu"), (1.0,) * d)
    p = t.sample_params(g, generator=torch.Generator().manual_seed(1))
    A = t.matrix(p)
    u = t.displacement(p, shape).movedim(1, -1)
    q_ref = torch.einsum("bij,b...j->b...i", A, centered_grid(shape, "cpu") + u)
    q_ref = q_ref + (torch.tensor([(n - 1) / 2 for n in shape]) + p["translation"]).view(2, *([1] * d), d)
    q = t.sampling_grid(p, shape, shape)
    assert float(u.abs().max()) > 1.0  # a real warp
    assert torch.allclose(q, q_ref, atol=1e-3)


def test_flip_folded_into_grid_equals_flipping_the_output():
    labels = torch.randint(0, 5, (2, 1, 20, 18, 16), generator=torch.Generator().manual_seed(0))
    img = rand(2, 1, 20, 18, 16)
    t = RandomSpatial(flip=1.0, flip_axis=1)
    g = Geometry(2, (20, 18, 16), 5, torch.device("cpu"), (1.0,) * 3)
    p = t.sample_params(g, generator=torch.Generator().manual_seed(2))
    p["flip"] = torch.tensor([True, False])
    out = t.apply(State(labels, img), params=p)
    plain = t.apply(State(labels, img), params={**p, "flip": torch.tensor([False, False])})
    assert torch.equal(out.labels[0], plain.labels[0].flip(2)) and torch.equal(out.labels[1], plain.labels[1])
    assert torch.allclose(out.image[0], plain.image[0].flip(2), atol=1e-5)


def test_upsample_grid_equals_trilinear_interpolation():
    q = rand(2, 5, 6, 7, 3)
    ref = F.interpolate(q.movedim(-1, 1), size=(20, 13, 9), mode="trilinear", align_corners=True)
    out = upsample_grid(q, (20, 13, 9))
    assert out.is_contiguous() and torch.allclose(out, ref.movedim(1, -1), atol=1e-5)
