"""The contract every registered model meets, built-ins and plugins alike (parametrised over
the registry): entries are ``ModelEntry`` objects named as listed; a pretrained model's card is
complete, its weights resolve locally and match the card's sha256, the network loads them
strictly and maps a patch of the card's size and channels to one output per label name, and
a test set of its domain has the same label names (so the benchmark can score it)."""

from __future__ import annotations

import re

import pytest
import torch

from synthzoo.zoo.models import ModelEntry, create_model, get_entry
from synthzoo.zoo.registry import MODELS
from synthzoo.zoo.weights import fetch, sha256_file

NAMES = MODELS.names()
PRETRAINED = [n for n in NAMES if getattr(MODELS.get(n), "card", None) is not None]


@pytest.mark.parametrize("name", NAMES)
def test_entry_is_a_named_model_entry(name):
    entry = MODELS.get(name)
    assert isinstance(entry, ModelEntry) and entry.name == name and callable(entry.factory)
    assert entry.description


@pytest.mark.parametrize("name", PRETRAINED)
def test_card_fields(name):
    card = get_entry(name).card
    assert card.name == name and card.task and card.domain and card.license and card.command
    assert re.fullmatch(r"[0-9a-f]{64}", card.sha256)
    assert card.weights_file.endswith(".safetensors")
    kw = card.arch_kwargs
    assert kw.get("dims", card.dims) == card.dims and kw.get("in_channels", 1) == card.in_channels
    assert kw.get("out_channels") == card.n_classes == len(card.label_names) >= 2
    assert card.spacing > 0 and all(p >= 8 for p in card.patch_size)
    assert card.generator.get("label_names") in (None, list(card.label_names))
    assert card.training.get("steps", 0) > 0


@pytest.mark.parametrize("name", PRETRAINED)
def test_weights_match_the_card_and_run_on_its_patch(name):
    entry = get_entry(name)
    card = entry.card
    path = fetch(card, offline=True, folder=entry.weights_dir)
    assert sha256_file(path) == card.sha256
    model = create_model(name, pretrained=True, offline=True).eval()
    x = torch.rand((1, card.in_channels, *card.patch_size), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        y = model(x)
    assert y.shape == (1, len(card.label_names), *card.patch_size)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("name", PRETRAINED)
def test_a_test_set_of_its_domain_has_its_labels(name):
    import synthzoo.datasets as ds

    card = get_entry(name).card
    same = [b for b in (ds.get_builder(n) for n in ds.DATASETS.names()) if b.domain == card.domain]
    if not same:
        pytest.skip(f"no registered test set of domain {card.domain!r}")
    # its own labels, or those of an extra target (the brain mask of neuro-contrasts); a
    # boundary class (nuclei instances) folds into its object
    from synthzoo.benchmarks.runner import target_of

    assert any(target_of(b, card.label_names) is not None for b in same), \
        f"{name}: label names {card.label_names} match no target of a {card.domain} test set"
    # the spacing means the same length in the card, its test sets and its generator
    from synthzoo.generators import get_generator

    assert {b.spacing_unit for b in same} == {card.spacing_unit}, name
    from synthzoo.generators import GENERATORS

    gen = card.generator.get("generator")  # a plugin's card may name no (registered) generator
    if gen in GENERATORS.names():
        assert get_generator(gen).spacing_unit == card.spacing_unit, name
