"""Shared helpers for generator tests."""

import torch


def class_values_and_expected(image: torch.Tensor, labels: torch.Tensor, means: torch.Tensor, b: int):
    """For sample ``b``: ``(values, expected)`` per label present, where ``values`` are the
    image voxels of that label and ``expected`` is its drawn mean after min-max normalisation
    over the labels present (what a sample without bias/blur/noise should show)."""
    present = labels[b, 0].unique()
    m = means[b, present]
    expected = (m - m.min()) / (m.max() - m.min())
    for k, e in zip(present.tolist(), expected.tolist()):
        yield image[b, 0][labels[b, 0] == k], e


def class_means(gen, labels: torch.Tensor, seed: int, *, positive: bool = False) -> dict[int, float]:
    """Mean image intensity of each target class (at least 20 voxels) in one sample drawn from
    ``labels`` with ``seed``; ``positive`` counts only voxels > 0 (e.g. inside a sector)."""
    s = gen(labels, generator=torch.Generator().manual_seed(seed))
    out = {}
    for k in range(len(gen.label_names)):
        m = s.labels == k
        if positive:
            m &= s.image > 0
        if int(m.sum()) >= 20:
            out[k] = float(s.image[m].mean())
    return out


def contrast_spread(gen, labels: torch.Tensor, seeds=(1, 2), *, positive: bool = False) -> float:
    """Largest difference of a class mean between two samples of the same label map."""
    a, b = (class_means(gen, labels, s, positive=positive) for s in seeds)
    return max(abs(a[k] - b[k]) for k in set(a) & set(b))


def mean_spread(gen, labels: torch.Tensor, pairs: int = 4, *, positive: bool = False) -> float:
    """:func:`contrast_spread` averaged over ``pairs`` pairs of seeds."""
    return sum(contrast_spread(gen, labels, (2 * i + 1, 2 * i + 2), positive=positive)
               for i in range(pairs)) / pairs


def check_contrast_option(name: str, fixed: str, step_type, key: str, *, positive: bool = False,
                          placement: tuple[str, ...] = (), **kwargs) -> None:
    """The fixed contrast ``fixed`` of generator ``name`` is fixed and the random one varies:
    the intensity step's per-class values ``params[key]`` of two samples agree within the
    +-10 % jitter (ratio within 0.9/1.1 .. 1.1/0.9) for ``fixed`` and not for ``"random"``;
    every scalar parameter of the other steps (but those named in ``placement``: where an
    artifact lies, not how strong it is) is equal in both samples for ``fixed``; and the
    class means of images drawn from one label map vary less with ``fixed``.  An unknown
    contrast is a one-line error naming the valid ones."""
    import pytest

    from synthzoo.generators import create

    spreads = {}
    for contrast in ("random", fixed):
        gen = create(name, contrast=contrast, **kwargs)
        assert gen.config()["contrast"] == contrast
        labels = gen.default_labels(batch=2, size=48, dims=2, generator=torch.Generator().manual_seed(0))
        labels = torch.cat([labels[:1], labels[:1]])  # the same label map twice
        params = gen.sample_params(labels, generator=torch.Generator().manual_seed(3))
        k = next(i for i, s in enumerate(gen.steps) if type(s) is step_type)
        v = params[k][key].reshape(2, -1)
        present = v[0].abs() > 1e-6
        ratio = v[1][present] / v[0][present]
        within = bool(((ratio > 0.9 / 1.1 - 1e-4) & (ratio < 1.1 / 0.9 + 1e-4)).all())
        if contrast == fixed:
            assert within, f"{name} {fixed}: {key} varies by more than the jitter: {ratio}"
            for i, p in enumerate(params):
                if i == k or i == 0:  # the intensity step, the spatial step
                    continue
                for name_, t in p.items():
                    if name_ in placement:
                        continue
                    if isinstance(t, torch.Tensor) and t.dim() == 1 and t.dtype.is_floating_point:
                        assert torch.allclose(t[0], t[1]), f"{name} {fixed}: step {i} {name_} varies"
        else:
            assert not within, f"{name} random: {key} did not vary"
        spreads[contrast] = mean_spread(gen, labels[:1], positive=positive)
    assert spreads[fixed] < spreads["random"], spreads
    with pytest.raises(ValueError, match=f"unknown contrast 'nope'; valid: random, {fixed}$"):
        create(name, contrast="nope", **kwargs)
