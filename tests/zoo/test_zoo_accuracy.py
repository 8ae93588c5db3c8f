"""The bundled neuro-MRI tissue model on held-out anatomy it never trained on.

Thresholds: Dice measured with the bundled weights on the middle 8 slices of the held-out
slab (see docs/zoo.md), minus a margin of 0.05."""

import json

import pytest
from typer.testing import CliRunner

from synthzoo.cli import app
from synthzoo.generators.physics import anatomy
from synthzoo.metrics import dice_per_class
from synthzoo.zoo.heldout import heldout_images
from synthzoo.zoo.models import create_model, get_card
from synthzoo.zoo.predict import predict_array
from synthzoo.zoo.weights import BUNDLED, sha256_file

NAME = "neuro-mri-tissue-unet-2d"
NARROW = "neuro-mri-tissue-unet-2d-t1w"
# mean (csf, gray_matter, white_matter) Dice on slices 12..19 of the held-out MNI152 slab at
# 1 mm, measured with the bundled weights (randomized: t1 0.701, pd 0.631, t2 0.657; narrow
# T1w: t1 0.572, pd 0.015, t2 0.059), minus 0.05
THRESHOLDS = {NAME: {"t1": 0.64, "pd": 0.57, "t2": 0.59}, NARROW: {"t1": 0.49}}


def test_randomized_model_beats_its_narrow_twin_off_its_contrast():
    """What domain randomization buys, on anatomy and images neither model saw: the narrow
    T1w baseline collapses on spin-echo PD and T2 images (measured 0.015, 0.059), the randomized
    model does not (0.631, 0.657)."""
    sl = slice(12, 20)
    truth = anatomy.heldout_labels(1.0)[..., sl]
    scores = {}
    for name in (NAME, NARROW):
        card, model = get_card(name), create_model(name, pretrained=True, offline=True)
        for c in ("pd", "t2"):
            pred = predict_array(model, card, heldout_images()[c][..., sl], spacing=(1.0, 1.0, 1.0)).argmax(0)
            scores[name, c] = sum(dice_per_class(pred, truth, 4)[1:]) / 3
    for c in ("pd", "t2"):
        assert scores[NAME, c] > scores[NARROW, c] + 0.35, scores


def test_bundled_model_is_listed_and_verified():
    rows = json.loads(CliRunner().invoke(app, ["zoo", "list", "--json"]).output)
    row = next(r for r in rows if r["name"] == NAME)
    assert row["domain"] == "neuro-mri" and row["dims"] == 2 and row["baseline"] is False
    card = get_card(NAME)
    assert sha256_file(BUNDLED / card.weights_file) == card.sha256 == row["sha256"]
    assert (BUNDLED / card.weights_file).stat().st_size < 10 * 2**20  # a few MB
    assert card.label_names == anatomy.LABEL_NAMES and "benchmark" in card.metrics
    narrow = get_card(NARROW)
    assert narrow.baseline is True and narrow.training["contrast"] == "t1w-gre-1.5t"
    # the twins trained for the same number of steps in all (stages summed)
    assert narrow.training["total_steps"] == card.training["total_steps"] == 42000
    assert narrow.arch_kwargs == card.arch_kwargs


@pytest.mark.parametrize("name,contrast", [(n, c) for n, t in THRESHOLDS.items() for c in t])
def test_bundled_models_segment_heldout_slices(name, contrast):
    card = get_card(name)
    model = create_model(name, pretrained=True, offline=True)
    sl = slice(12, 20)
    img = heldout_images()[contrast][..., sl]
    truth = anatomy.heldout_labels(1.0)[..., sl]
    pred = predict_array(model, card, img, spacing=(1.0, 1.0, 1.0)).argmax(0)
    d = dice_per_class(pred, truth, 4)
    assert sum(d[1:]) / 3 > THRESHOLDS[name][contrast], (name, contrast, d)


def test_heldout_evaluation_scores_a_brain_mask_model_on_csf_gm_and_wm_together():
    import dataclasses

    import numpy as np
    import torch

    from synthzoo.zoo.heldout import evaluate

    class Everywhere(torch.nn.Module):  # "brain" in every voxel
        def forward(self, x):
            return torch.cat([torch.zeros_like(x), torch.ones_like(x)], 1)

    card = dataclasses.replace(get_card(NAME), name="toy-brain", label_names=("background", "brain"))
    metrics, preds = evaluate(Everywhere(), card, slices=slice(12, 14))
    truth = anatomy.heldout_labels(1.0)[..., 12:14] > 0
    assert set(metrics) == {"t1", "pd", "t2"} and set(metrics["t1"]) == {"background", "brain"}
    assert metrics["t1"]["brain"] == pytest.approx(round(2 * truth.sum() / (truth.sum() + truth.size), 4))
    assert all(p.all() for p in preds.values())
    other = dataclasses.replace(card, label_names=("background", "nucleus"))
    with pytest.raises(ValueError, match="toy-brain: held-out evaluation scores tissue .* this one has background, nucleus"):
        evaluate(Everywhere(), other, slices=slice(12, 14))


def test_every_narrow_baseline_names_a_contrast_of_its_domains_test_set():
    """The benchmark marks the contrast a narrow baseline was trained on (its card's
    ``training["contrast"]``); it must be one of the test contrasts of the model's own domain."""
    from synthzoo.benchmarks.runner import zoo_names
    from synthzoo.datasets import DATASETS

    by_domain: dict[str, set[str]] = {}
    for builder in DATASETS.load_all().values():
        by_domain.setdefault(builder.domain, set()).update(builder.contrasts)
    narrow = [get_card(n) for n in zoo_names() if get_card(n).baseline]
    assert len({c.domain for c in narrow}) == 7
    for card in narrow:
        assert card.training.get("contrast") in by_domain[card.domain], (card.name, card.training.get("contrast"))
