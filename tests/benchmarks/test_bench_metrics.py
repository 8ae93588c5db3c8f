import math

import dask.array as da
import numpy as np
import pytest

from synthzoo.benchmarks.metrics import confusion, label_metrics, per_label


def test_dice_and_volume_similarity_on_known_arrays():
    truth = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2]])
    pred = np.array([[0, 1, 1, 1], [0, 0, 1, 0], [2, 2, 0, 0]])
    m = label_metrics(pred, truth, 4)
    # label 0: |T| 4, |P| 6, overlap 3 -> 6/10; label 1: |T| 4, |P| 4, overlap 3 -> 6/8
    # label 2: |T| 4, |P| 2, overlap 2 -> 4/6; label 3 absent from both -> NaN
    assert m[0]["dice"] == pytest.approx(0.6) and m[1]["dice"] == pytest.approx(0.75)
    assert m[2]["dice"] == pytest.approx(2 / 3) and math.isnan(m[3]["dice"])
    assert m[0]["volume_similarity"] == pytest.approx(1 - 2 / 10)
    assert m[1]["volume_similarity"] == pytest.approx(1.0)
    assert m[2]["volume_similarity"] == pytest.approx(1 - 2 / 6)
    assert (m[2]["n_truth"], m[2]["n_pred"]) == (4, 2)


def test_chunked_dask_truth_gives_the_same_confusion_and_mask_restricts():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, (9, 10, 7))
    pred = np.where(rng.random(truth.shape) < 0.8, truth, rng.integers(0, 3, truth.shape))
    ref = confusion(pred, truth, 3)
    assert ref.sum() == truth.size
    lazy = da.from_array(truth.astype(np.uint8), chunks=(4, 3, 5))
    assert np.array_equal(confusion(pred, lazy, 3), ref)
    assert np.array_equal(confusion(da.from_array(pred, chunks=2), lazy, 3), ref)
    mask = np.zeros(truth.shape, np.uint8)
    mask[:3] = 1
    assert np.array_equal(confusion(pred, lazy, 3, mask=da.from_array(mask, chunks=(4, 3, 5))),
                          confusion(pred[:3], truth[:3], 3))
    assert per_label(ref)[1]["n_truth"] == int((truth == 1).sum())


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="shape"):
        confusion(np.zeros((2, 2), int), np.zeros((2, 3), int), 2)
    with pytest.raises(ValueError, match="prediction has labels outside 0..1"):
        confusion(np.full((2, 2), 5), np.zeros((2, 2), int), 2)
