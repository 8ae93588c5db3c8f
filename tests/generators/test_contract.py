"""The generator contract, checked for every registered generator (built-ins and plugins)."""

import json

import pytest
import torch

from synthzoo.generators import GENERATORS
from synthzoo.generators.tools.preview import make_generator

SIZE = {2: 32, 3: 24}
CASES = [(n, d) for n, cls in sorted(GENERATORS.load_all().items()) for d in cls.dims]


def _setup(name, dims, batch=2):
    gen = make_generator(name, size=SIZE[dims], dims=dims)
    labels = gen.default_labels(batch=batch, size=SIZE[dims], dims=dims,
                                generator=torch.Generator().manual_seed(0))
    return gen, labels


@pytest.mark.parametrize("name,dims", CASES)
def test_default_labels_valid(name, dims):
    gen, labels = _setup(name, dims)
    assert labels.dtype == torch.int64
    assert labels.shape == (2, 1) + (SIZE[dims],) * dims
    assert int(labels.min()) >= 0 and int(labels.max()) < gen.n_labels


@pytest.mark.parametrize("name,dims", CASES)
def test_output_shapes_dtypes_finite(name, dims):
    gen, labels = _setup(name, dims)
    s = gen(labels, generator=torch.Generator().manual_seed(1))
    assert s.image.dtype == torch.float32 and s.labels.dtype == torch.int64
    assert s.image.shape[0] == 2 and s.image.shape[2:] == (SIZE[dims],) * dims
    assert s.labels.shape == (2, 1) + (SIZE[dims],) * dims
    assert torch.isfinite(s.image).all()
    assert float(s.image.std()) > 0
    assert set(s.labels.unique().tolist()) <= set(range(len(gen.label_names)))


@pytest.mark.parametrize("name,dims", CASES)
def test_seed_determinism_and_replay(name, dims):
    gen, labels = _setup(name, dims)
    a = gen(labels, generator=torch.Generator().manual_seed(5))
    b = gen(labels, generator=torch.Generator().manual_seed(5))
    c = gen(labels, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a.image, b.image) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.image, c.image)
    params = gen.sample_params(labels, generator=torch.Generator().manual_seed(9))
    r1, r2 = gen.apply(labels, params=params), gen.apply(labels, params=params)
    assert torch.equal(r1.image, r2.image) and torch.equal(r1.labels, r2.labels)
    recorded = json.loads(r1.params_json(0))
    assert isinstance(recorded, list) and len(recorded) == len(gen.steps)
    json.dumps(gen.config())


@pytest.mark.parametrize("name,dims", CASES)
def test_bad_labels_rejected(name, dims):
    gen, labels = _setup(name, dims, batch=1)
    with pytest.raises(ValueError, match="label values must lie in"):
        gen(labels + gen.n_labels, generator=torch.Generator().manual_seed(0))
    with pytest.raises(TypeError, match="int64"):
        gen(labels.float(), generator=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match=r"\(B, 1, \*spatial\)"):
        gen(labels[:, 0], generator=torch.Generator().manual_seed(0))


@pytest.mark.gpu
@pytest.mark.parametrize("name,dims", CASES)
def test_runs_on_gpu(name, dims):
    gen, labels = _setup(name, dims)
    gen = gen.cuda()
    g = torch.Generator(device="cuda").manual_seed(0)
    s = gen(labels.cuda(), generator=g)
    assert s.image.is_cuda and torch.isfinite(s.image).all()
