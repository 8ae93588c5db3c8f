"""The split and targets of the AnatomySource base class, on an in-memory source (fast: the
mutation script runs these for every mutant of synthzoo/anatomy/base.py)."""

import numpy as np
import pytest

from synthzoo.anatomy.base import AnatomyError, AnatomySource, SplitError


class _Toy(AnatomySource):
    name = "toy"
    description, license, citation, spacing = "a toy", "CC0-1.0", "nobody 2024", 2.0
    label_values, label_names = (0, 4, 9), ("bg", "csf", "gm")
    subjects, heldout = ("01", "02", "03", "04"), ("03", "04")
    targets = {"tissue": (("bg", "brain"), (0, 1, 1)), "csf": (("other", "csf"), (0, 1, 0))}

    def __init__(self):
        self.loaded = []

    def _load(self, subject, *, offline=False):
        self.loaded.append((subject, offline))
        return np.full((2, 2, 2), int(subject), np.uint8)


def test_training_and_heldout_sides_of_the_split():
    src = _Toy()
    assert src.train_subjects == ("01", "02")
    assert int(src.training_volume("02", offline=True)[0, 0, 0]) == 2
    assert int(src.heldout_volume("04")[0, 0, 0]) == 4
    assert int(src.training_volume("01")[0, 0, 0]) == 1
    assert src.loaded == [("02", True), ("04", False), ("01", False)]  # online unless told
    with pytest.raises(SplitError, match=r"^anatomy 'toy': subject 03 is held out for test sets; "
                                         r"training subjects: 01, 02$"):
        src.training_volume("03")
    with pytest.raises(SplitError, match=r"^anatomy 'toy': subject 01 is training anatomy; "
                                         r"held-out subjects: 03, 04$"):
        src.heldout_volume("01")
    for call in (src.training_volume, src.heldout_volume):
        with pytest.raises(AnatomyError, match=r"^anatomy 'toy': unknown subject '99'; valid: 01, 02, 03, 04$"):
            call("99")
    assert len(src.loaded) == 3  # refused calls never load


def test_target_lut_and_info():
    src = _Toy()
    names, lut = src.target("tissue")
    assert names == ("bg", "brain") and lut.dtype == np.int64 and lut.tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match=r"^anatomy 'toy': unknown target 'x'; valid: tissue, csf$"):
        src.target("x")
    assert src.info() == {"name": "toy", "description": "a toy", "subjects": ["01", "02", "03", "04"],
                          "train": ["01", "02"], "heldout": ["03", "04"],
                          "labels": {0: "bg", 4: "csf", 9: "gm"}, "targets": {"tissue": ["bg", "brain"], "csf": ["other", "csf"]},
                          "spacing_mm": 2.0, "license": "CC0-1.0", "citation": "nobody 2024"}
    with pytest.raises(NotImplementedError):
        AnatomySource()._load("01")


def test_defaults_of_a_minimal_source():
    class Bare(AnatomySource):
        def _load(self, subject, *, offline=False):
            return np.zeros((1, 1, 1), np.uint8)

    assert Bare().info() == {"name": "", "description": "", "subjects": [], "train": [], "heldout": [],
                             "labels": {}, "targets": {}, "spacing_mm": 1.0, "license": "", "citation": ""}
