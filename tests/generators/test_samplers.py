import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from synthzoo.generators.engine.samplers import (
    Bernoulli, Choice, Fixed, LogNormal, LogUniform, Normal, Uniform, as_sampler, symmetric,
)


@given(lo=st.floats(-100, 100), width=st.floats(0, 100), seed=st.integers(0, 2**31))
@settings(max_examples=30, deadline=None)
def test_uniform_within_bounds(lo, width, seed):
    x = Uniform(lo, lo + width).sample((1000,), generator=torch.Generator().manual_seed(seed))
    assert x.shape == (1000,) and x.dtype == torch.float32
    assert float(x.min()) >= lo - 1e-4 and float(x.max()) <= lo + width + 1e-4


def test_distribution_statistics():
    g = torch.Generator().manual_seed(1)
    n = Normal(3.0, 2.0).sample((20000,), generator=g)
    assert abs(float(n.mean()) - 3.0) < 0.1 and abs(float(n.std()) - 2.0) < 0.1
    ln = LogNormal(0.0, 0.5).sample((20000,), generator=g)
    assert abs(float(ln.log().std()) - 0.5) < 0.02 and float(ln.min()) > 0
    lu = LogUniform(1.0, 100.0).sample((20000,), generator=g)
    assert abs(float(lu.log().mean()) - math.log(10.0)) < 0.05
    b = Bernoulli(0.3).sample((20000,), generator=g)
    assert abs(float(b.mean()) - 0.3) < 0.02
    c = Choice((1.0, 5.0)).sample((1000,), generator=g)
    assert set(c.unique().tolist()) == {1.0, 5.0}
    assert torch.all(Fixed(2.5).sample((3,), generator=g) == 2.5)


def test_same_seed_same_draw():
    a = Uniform(0, 1).sample((10,), generator=torch.Generator().manual_seed(7))
    b = Uniform(0, 1).sample((10,), generator=torch.Generator().manual_seed(7))
    c = Uniform(0, 1).sample((10,), generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_plain_values_become_samplers():
    assert as_sampler(3) == Fixed(3.0)
    assert as_sampler((1, 2)) == Uniform(1.0, 2.0)
    assert symmetric(15) == Uniform(-15.0, 15.0)
    u = Uniform(0.5, 2.0)
    assert as_sampler(u) is u
    assert as_sampler(u.to_dict()) == u
    assert as_sampler({"type": "Choice", "values": [1, 2]}) == Choice((1, 2))


@pytest.mark.parametrize("bad", ["x", (1, 2, 3), True, None])
def test_bad_values_are_clear_errors(bad):
    with pytest.raises(TypeError, match="rotation: expected"):
        as_sampler(bad, name="rotation")


def test_invalid_ranges_rejected():
    with pytest.raises(ValueError, match="low <= high"):
        Uniform(2, 1)
    with pytest.raises(ValueError, match="0 < low"):
        LogUniform(0, 1)
    with pytest.raises(ValueError, match="unknown sampler type 'Gauss'"):
        as_sampler({"type": "Gauss"})
