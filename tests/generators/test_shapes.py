"""Label-shape primitives: ellipsoids, jittered centres, Voronoi cells, smooth noise."""

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from synthzoo.generators.physics.shapes import jittered_centres, paint_ellipsoids, smooth_noise, voronoi


def test_ball_volume_and_no_overwrite():
    g = torch.Generator().manual_seed(0)
    lab = torch.zeros((40, 40, 40), dtype=torch.long)
    paint_ellipsoids(lab, torch.tensor([[20.0, 20.0, 20.0]]), torch.tensor([[8.0, 8.0, 8.0]]), 1,
                     generator=g)
    assert abs(int((lab == 1).sum()) / (4 / 3 * math.pi * 8**3) - 1) < 0.05
    paint_ellipsoids(lab, torch.tensor([[20.0, 26.0, 20.0]]), torch.tensor([[8.0, 8.0, 8.0]]), 2,
                     generator=g)
    assert (lab == 2).any() and int((lab == 1).sum()) > 0.95 * 4 / 3 * math.pi * 8**3


def test_ellipse_axes_follow_radii_without_rotation():
    lab = torch.zeros((41, 41), dtype=torch.long)
    paint_ellipsoids(lab, torch.tensor([[20.0, 20.0]]), torch.tensor([[3.0, 12.0]]), 1,
                     rotate=False, generator=torch.Generator().manual_seed(0))
    rows, cols = torch.nonzero(lab).unbind(1)
    assert int(rows.max() - rows.min()) == 6 and int(cols.max() - cols.min()) == 24


@settings(max_examples=15, deadline=None, derandomize=True)
@given(h=st.integers(8, 40), w=st.integers(8, 40), cell=st.floats(2.0, 12.0),
       fill=st.floats(0.0, 1.0), cap=st.integers(1, 50), seed=st.integers(0, 2**31))
def test_jittered_centres_inside_and_capped(h, w, cell, fill, cap, seed):
    c, used = jittered_centres((h, w), cell=cell, fill=fill, max_count=cap,
                               generator=torch.Generator().manual_seed(seed))
    assert len(c) <= cap and used >= cell
    assert torch.all(c >= 0) and torch.all(c[:, 0] <= h - 1) and torch.all(c[:, 1] <= w - 1)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(h=st.integers(6, 30), w=st.integers(6, 30), n=st.integers(2, 20), seed=st.integers(0, 2**31))
def test_voronoi_partition_and_wall_distance(h, w, n, seed):
    ids, wall = voronoi((h, w), n_seeds=n, generator=torch.Generator().manual_seed(seed))
    assert ids.dtype == torch.long and int(ids.min()) >= 0 and int(ids.max()) < n
    assert float(wall.min()) >= -1e-4
    for dim in (0, 1):
        a, b = ids.narrow(dim, 1, ids.shape[dim] - 1), ids.narrow(dim, 0, ids.shape[dim] - 1)
        diff = a != b
        assert torch.all(wall.narrow(dim, 1, ids.shape[dim] - 1)[diff] <= 1.0 + 1e-4)


def test_smooth_noise_1d_2d_3d_deterministic():
    for size in [(50,), (20, 30), (8, 9, 10)]:
        a = smooth_noise(size, cell=4.0, channels=2, generator=torch.Generator().manual_seed(1))
        b = smooth_noise(size, cell=4.0, channels=2, generator=torch.Generator().manual_seed(1))
        assert a.shape == (2, *size) and torch.equal(a, b) and float(a.std()) > 0.2
