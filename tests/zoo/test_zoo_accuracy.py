"""The bundled neuro-MRI tissue model on held-out anatomy it never trained on.

Thresholds: Dice measured with the bundled weights on the middle 8 slices of the held-out
slab (see docs/zoo.md), minus a margin of 0.05."""

import json

import pytest
from typer.testing import CliRunner

from synthzoo.cli import app
from synthzoo.generators import anatomy
from synthzoo.metrics import dice_per_class
from synthzoo.zoo.heldout import heldout_images
from synthzoo.zoo.models import create_model, get_card
from synthzoo.zoo.predict import predict_array
from synthzoo.zoo.weights import BUNDLED, sha256_file

NAME = "neuro-mri-tissue-unet-2d"
# (csf, gray_matter, white_matter) measured on slab slices 12..19 with the bundled weights
# (t1: 0.325/0.657/0.754, pd: 0.230/0.699/0.825), minus 0.05
THRESHOLDS = {"t1": (0.27, 0.60, 0.70), "pd": (0.18, 0.64, 0.77)}


def test_bundled_model_is_listed_and_verified():
    rows = json.loads(CliRunner().invoke(app, ["zoo", "list", "--json"]).output)
    row = next(r for r in rows if r["name"] == NAME)
    assert row["domain"] == "neuro-mri" and row["dims"] == 2 and row["baseline"] is False
    card = get_card(NAME)
    assert sha256_file(BUNDLED / card.weights_file) == card.sha256 == row["sha256"]
    assert (BUNDLED / card.weights_file).stat().st_size < 10 * 2**20  # a few MB
    assert card.label_names == anatomy.LABEL_NAMES and "heldout_dice" in card.metrics


@pytest.mark.parametrize("contrast", ["t1", "pd"])
def test_bundled_model_segments_heldout_slice(contrast):
    card = get_card(NAME)
    model = create_model(NAME, pretrained=True, offline=True)
    sl = slice(12, 20)
    img = heldout_images()[contrast][..., sl]
    truth = anatomy.heldout_labels(1.0)[..., sl]
    pred = predict_array(model, card, img, spacing=(1.0, 1.0, 1.0)).argmax(0)
    d = dice_per_class(pred, truth, 4)
    for k, lo in zip((1, 2, 3), THRESHOLDS[contrast]):
        assert d[k] > lo, (contrast, card.label_names[k], d)
