"""The contract every registered baseline meets, built-ins and plugins alike (parametrised over
the registry): named as listed, versioned, and on an image whose classes are clearly separated
in intensity it recovers the labels after calibration on another image (99 % of pixels: the
histogram-based thresholds may cut half a bin into the top of a class)."""

from __future__ import annotations

import numpy as np
import pytest

from synthzoo.benchmarks.baselines import BASELINES, Baseline

NAMES = BASELINES.names()


def _image(seed: int, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    r = np.random.default_rng(seed)
    labels = r.permutation(np.repeat(np.arange(k), 400)).reshape(30, 40)
    means = np.array([0.8, 0.1, 0.45])[:k]  # label order differs from intensity order
    return (means[labels] + r.uniform(-0.05, 0.05, labels.shape)).astype(np.float32), labels


@pytest.mark.parametrize("name", NAMES)
def test_baseline_recovers_separated_classes(name):
    b = BASELINES.get(name)
    assert isinstance(b, Baseline) and b.name == name and b.description and b.version
    calib_img, calib_lab = _image(1)
    mapping = b.calibrate(calib_img, calib_lab, None, 3)
    assert sorted(mapping) == [0, 1, 2]
    img, lab = _image(2)
    assert (b.predict(img, None, mapping) == lab).mean() >= 0.99
    mask = np.zeros(lab.shape, np.uint8)
    mask[:, :20] = 1
    pred = b.predict(img, mask, mapping)
    assert (pred[:, 20:] == mapping[0]).all()  # outside the field of view: rank 0
