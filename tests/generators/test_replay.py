"""A sample replayed from its recorded ``params_json`` is the same sample (issue 14): the JSON
holds everything ``apply`` needs, for every registered generator, 2D and 3D."""

import json

import pytest
import torch

from synthzoo.generators import GENERATORS, create


def _from_json(value, template, *, index: bool):
    """``value`` (parsed JSON) as tensors shaped like ``template`` (parameters of another draw,
    used for dtypes and the batch axis only; the values all come from the JSON)."""
    if isinstance(template, dict):
        assert set(value) == set(template)
        return {k: _from_json(value[k], template[k], index=index) for k in template}
    if isinstance(template, torch.Tensor):
        t = torch.tensor(value, dtype=template.dtype)
        if index and template.dim() > 0:
            t = t.unsqueeze(0)
        assert t.shape == template.shape
        return t
    return value


CASES = [(name, d) for name, cls in GENERATORS.load_all().items() for d in cls.dims]


@pytest.mark.parametrize("name,dims", CASES)
def test_sample_replayed_from_its_params_json(name, dims):
    from synthzoo.generators.tools.preview import make_generator

    size = 16 if dims == 2 else 12
    gen = make_generator(name, size=size, dims=dims)
    g = torch.Generator().manual_seed(3)
    labels = gen.default_labels(batch=1, size=size, dims=dims, generator=g)
    sample = gen(labels, generator=g)
    recorded = json.loads(sample.params_json(0))
    other = gen.sample_params(labels, generator=torch.Generator().manual_seed(99))
    assert len(recorded) == len(other)
    params = [_from_json(v, t, index=True) for v, t in zip(recorded, other)]
    replay = gen.apply(labels, params=params)
    torch.testing.assert_close(replay.image, sample.image, rtol=0, atol=0)
    torch.testing.assert_close(replay.labels, sample.labels, rtol=0, atol=0)
    # a different draw gives a different image (the replay is not trivially equal)
    assert not torch.equal(gen.apply(labels, params=other).image, sample.image)


def test_batch_replayed_from_params_json_of_all_samples():
    gen = create("neuro-mri", spacing=6.0)
    g = torch.Generator().manual_seed(5)
    labels = gen.default_labels(batch=2, size=16, dims=2, generator=g)
    sample = gen(labels, generator=g)
    other = gen.sample_params(labels, generator=torch.Generator().manual_seed(6))
    params = [_from_json(v, t, index=False) for v, t in zip(json.loads(sample.params_json()), other)]
    torch.testing.assert_close(gen.apply(labels, params=params).image, sample.image, rtol=0, atol=0)
