"""The contract every registered anatomy source meets, built-ins and plugins alike
(parametrised over the registry; no volume is read): labels and targets are declared
consistently, the split has both sides, and each side is refused to the other before anything
is loaded."""

from __future__ import annotations

import pytest

from synthzoo.anatomy import ANATOMY, AnatomySource, SplitError, get_source

NAMES = ANATOMY.names()


def test_registry_lists_sources():
    assert NAMES, "no anatomy source is registered"


@pytest.mark.parametrize("name", NAMES)
def test_labels_targets_and_info_are_declared(name):
    src = get_source(name)
    assert isinstance(src, AnatomySource) and src.name == name
    assert src.description and src.license and src.spacing > 0
    assert len(src.label_values) == len(src.label_names) >= 2
    assert len(set(src.label_values)) == len(src.label_values)
    assert all(0 <= v for v in src.label_values)
    assert src.targets, f"{name}: no training target declared"
    for target, (classes, lut) in src.targets.items():
        assert len(lut) == len(src.label_values), f"{name}/{target}: one class per label"
        assert set(lut) <= set(range(len(classes))) and len(classes) >= 2
    info = src.info()
    assert info["name"] == name and info["targets"] == {k: list(v[0]) for k, v in src.targets.items()}


@pytest.mark.parametrize("name", NAMES)
def test_split_is_enforced_before_loading(name, monkeypatch):
    src = get_source(name)
    train, held = src.train_subjects, src.heldout
    assert train and held, f"{name}: both sides of the split must be non-empty"
    assert set(held) <= set(src.subjects) and not set(train) & set(held)

    def no_load(subject, *, offline=False):
        raise AssertionError(f"{name}: loaded {subject} on a refused call")

    monkeypatch.setattr(src, "_load", no_load)
    with pytest.raises(SplitError, match=f"subject {held[0]} is held out"):
        src.training_volume(held[0], offline=True)
    with pytest.raises(SplitError, match=f"subject {train[0]} is training anatomy"):
        src.heldout_volume(train[0], offline=True)
