import json

import pytest

from synthzoo.zoo.card import CardError, WeightCard
from zoo_helpers import tiny_card


def test_card_round_trip(tmp_path):
    card = tiny_card("ab" * 32, urls=["http://x/y.safetensors"])
    path = card.save(tmp_path / "c.json")
    back = WeightCard.load(path)
    assert back == card
    assert isinstance(back.patch_size, tuple) and back.label_names == ("bg", "a", "b")
    data = json.loads(path.read_text())
    assert data["patch_size"] == [16, 16] and data["sha256"] == "ab" * 32
    assert back.summary()["baseline"] is False and back.n_classes == 3


def test_card_is_frozen():
    card = tiny_card("00")
    with pytest.raises(Exception):
        card.name = "other"


def test_card_errors(tmp_path):
    data = tiny_card("00").to_dict()
    with pytest.raises(CardError, match=r"unknown card fields \['colour'\]"):
        WeightCard.from_dict({**data, "colour": 1}, source="x.json")
    del data["task"]
    with pytest.raises(CardError, match=r"x.json: missing card fields \['task'\]"):
        WeightCard.from_dict(data, source="x.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CardError, match="bad.json: not valid JSON"):
        WeightCard.load(bad)
    with pytest.raises(CardError, match="unknown normalisation 'magic'"):
        WeightCard.from_dict({**tiny_card("00").to_dict(), "normalisation": "magic"})


def test_spacing_unit_defaults_to_mm_and_is_checked():
    data = tiny_card("00").to_dict()
    del data["spacing_unit"]  # a card written before the field existed
    card = WeightCard.from_dict(data)
    assert card.spacing_unit == "mm" and card.summary()["spacing_unit"] == "mm"
    um = WeightCard.from_dict({**data, "spacing_unit": "um"})
    assert um.summary()["spacing_unit"] == "um" and json.loads(um.to_json())["spacing_unit"] == "um"
    with pytest.raises(CardError, match="x.json: card 't': unknown spacing_unit 'inch'; valid: mm, um"):
        WeightCard.from_dict({**data, "name": "t", "spacing_unit": "inch"}, source="x.json")
