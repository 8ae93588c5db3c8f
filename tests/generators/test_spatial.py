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


def test_field_of_view_keeps_one_random_box_per_sample_and_zeroes_image_and_labels_outside():
    """``FieldOfView``: with probability ``p`` a sample keeps an axis-aligned box whose side
    along each axis is a fraction in ``size`` of the sample's, at a random place; outside it the
    image is zero and the labels are 0.  Inside, nothing changes; ``p=0`` changes nothing."""
    import pytest

    from synthzoo.generators.engine.base import Geometry, State
    from synthzoo.generators.engine.spatial import FieldOfView

    b, shape = 64, (40, 50)
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(1, 5, (b, 1, *shape), generator=g)
    image = torch.rand((b, 1, *shape), generator=g) + 0.5  # never zero
    geom = Geometry(b, shape, 5, torch.device("cpu"), (1.0, 1.0))
    step = FieldOfView(p=0.5, size=(0.3, 0.8))
    params = step.sample_params(geom, generator=g)
    out = step.apply(State(labels, image, (1.0, 1.0)), params=params)
    on = params["on"]
    assert 15 < int(on.sum()) < 49  # about half of 64
    starts = set()
    for k in range(b):
        kept = out.image[k, 0] != 0
        assert torch.equal(kept, out.labels[k, 0] != 0)
        assert torch.equal(out.image[k, 0][kept], image[k, 0][kept])
        assert torch.equal(out.labels[k, 0][kept], labels[k, 0][kept])
        if not on[k]:
            assert bool(kept.all())
            continue
        rows, cols = kept.any(1).nonzero().flatten(), kept.any(0).nonzero().flatten()
        # one box: every voxel between its first and last row and column is kept
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
        assert int(kept.sum()) == (r1 - r0 + 1) * (c1 - c0 + 1)
        for n, side in ((shape[0], r1 - r0 + 1), (shape[1], c1 - c0 + 1)):
            assert 0.3 * n - 1 <= side <= 0.8 * n + 1
        starts.add((r0, c0))
    assert len(starts) > int(on.sum()) // 2  # the box moves from sample to sample
    same = FieldOfView(p=0.0).apply(State(labels, image, (1.0, 1.0)),
                                    params=FieldOfView(p=0.0).sample_params(geom, generator=g))
    assert torch.equal(same.image, image) and torch.equal(same.labels, labels)
    with pytest.raises(ValueError, match="p_fov"):
        FieldOfView(p=1.5)
    for bad in ((0.0, 0.5), (0.5, 1.2), 0.0):
        with pytest.raises(ValueError, match="fov"):
            FieldOfView(p=0.5, size=bad)
