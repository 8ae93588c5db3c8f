import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from synthzoo.generators.engine.base import Geometry, State
from synthzoo.generators.engine.spatial import RandomSpatial, integrate_svf


def geom(shape, batch=1):
    return Geometry(batch, tuple(shape), 8, torch.device("cpu"), (1.0,) * len(shape))


def random_labels(shape, seed=0, n=6):
    return torch.randint(0, n, (2, 1, *shape), generator=torch.Generator().manual_seed(seed))


IDENTITY = dict(rotation=0.0, scaling=1.0, shear=0.0, svf_std=0.0, random_crop=False)


@pytest.mark.parametrize("shape", [(17, 20), (9, 10, 11)])
def test_identity_leaves_labels_unchanged(shape):
    t = RandomSpatial(**IDENTITY)
    labels = random_labels(shape)
    p = t.sample_params(geom(shape, 2), generator=torch.Generator().manual_seed(0))
    out = t.apply(State(labels), params=p)
    assert torch.equal(out.labels, labels)


def jacobian_det(q):
    """Determinant of the Jacobian of a map q (B, *spatial, d) by central differences."""
    d = q.shape[-1]
    grads = [torch.gradient(q, dim=1 + k)[0] for k in range(d)]  # each (B, *sp, d): dq/dx_k
    J = torch.stack(grads, dim=-1)  # (..., d_out, d_in)
    return torch.linalg.det(J)


@given(seed=st.integers(0, 2**31 - 1))
@settings(max_examples=8, deadline=None)
def test_default_warp_has_positive_jacobian_3d(seed):
    shape = (40, 40, 40)
    t = RandomSpatial()  # SynthSeg default ranges
    p = t.sample_params(geom(shape, 2), generator=torch.Generator().manual_seed(seed))
    q = t.sampling_grid(p, shape, shape)
    assert float(jacobian_det(q).min()) > 0


@given(seed=st.integers(0, 2**31 - 1))
@settings(max_examples=8, deadline=None)
def test_default_warp_has_positive_jacobian_2d(seed):
    shape = (96, 96)
    t = RandomSpatial()
    p = t.sample_params(geom(shape, 2), generator=torch.Generator().manual_seed(seed))
    q = t.sampling_grid(p, shape, shape)
    assert float(jacobian_det(q).min()) > 0


def test_svf_exponential_is_invertible():
    """exp(v) composed with exp(-v) is close to the identity (scaling and squaring)."""
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(3)
    full = (48, 48, 48)
    v = 3.0 * torch.randn((1, 3, 4, 4, 4), generator=g)
    work = lambda u: F.interpolate(u, size=(24, 24, 24), mode="trilinear", align_corners=True)
    up = lambda u: F.interpolate(u, size=full, mode="trilinear", align_corners=True)
    fwd, bwd = up(integrate_svf(work(v), full)), up(integrate_svf(work(-v), full))
    base = torch.stack(torch.meshgrid(*[torch.linspace(-1, 1, n) for n in full], indexing="ij"), -1)
    loc = (base + fwd.movedim(1, -1) * (2 / 47)).flip(-1)
    comp = fwd + F.grid_sample(bwd, loc, align_corners=True, padding_mode="border")
    inner = comp[..., 8:-8, 8:-8, 8:-8]
    assert float(fwd.abs().max()) > 2.0  # a real deformation
    assert float(inner.abs().max()) < 0.1 * float(fwd.abs().max())


def test_known_scaling_and_translation():
    shape = (11, 13)
    t = RandomSpatial(rotation=0.0, scaling=2.0, shear=0.0, svf_std=0.0, translation=0.0, random_crop=False)
    p = t.sample_params(geom(shape), generator=torch.Generator().manual_seed(0))
    q = t.sampling_grid(p, shape, shape)
    centre = torch.tensor([5.0, 6.0])
    assert torch.allclose(q[0, 5, 6], centre)
    assert torch.allclose(q[0, 6, 6], centre + torch.tensor([2.0, 0.0]))
    assert torch.allclose(q[0, 5, 8], centre + torch.tensor([0.0, 4.0]))


def test_flip_swaps_left_right_labels():
    shape = (8, 6)
    labels = torch.zeros((1, 1, *shape), dtype=torch.long)
    labels[..., :4, :] = 1  # "left"
    labels[..., 4:, :] = 2  # "right"
    t = RandomSpatial(**IDENTITY, flip=1.0, flip_axis=0, flip_lut=[0, 2, 1])
    p = t.sample_params(geom(shape), generator=torch.Generator().manual_seed(0))
    out = t.apply(State(labels), params=p).labels
    # flipping moves the left half to the right, and the LUT renames it: the map is unchanged
    assert torch.equal(out, labels)
    t2 = RandomSpatial(**IDENTITY, flip=1.0, flip_axis=0)
    out2 = t2.apply(State(labels), params=p).labels
    assert torch.equal(out2, labels.flip(2))


def test_crop_and_pad_to_out_size():
    labels = random_labels((20, 20, 20), n=5) + 1
    t = RandomSpatial(**{**IDENTITY, "random_crop": True}, out_size=12)
    p = t.sample_params(geom((20, 20, 20), 2), generator=torch.Generator().manual_seed(0))
    out = t.apply(State(labels), params=p).labels
    assert out.shape == (2, 1, 12, 12, 12) and int(out.min()) >= 1  # a crop: no padding inside
    t = RandomSpatial(**IDENTITY, out_size=(30, 24, 20))
    p = t.sample_params(geom((20, 20, 20), 2), generator=torch.Generator().manual_seed(0))
    out = t.apply(State(labels), params=p).labels
    assert out.shape == (2, 1, 30, 24, 20)
    assert torch.equal(out[:, :, 5:25, 2:22, :], labels)
    assert int(out[:, :, :5].abs().sum()) == 0


def test_labels_resampled_by_nearest_neighbour():
    labels = random_labels((24, 24, 24), n=4) * 10  # values 0, 10, 20, 30
    t = RandomSpatial()
    p = t.sample_params(geom((24, 24, 24), 2), generator=torch.Generator().manual_seed(4))
    out = t.apply(State(labels), params=p).labels
    assert set(out.unique().tolist()) <= {0, 10, 20, 30}
