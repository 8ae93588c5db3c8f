import math

import dask.array as da
import numpy as np
import pytest

from synthzoo.metrics import confusion, label_metrics, per_label


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


# --------------------------------------------------------------------------- distances
from synthzoo.metrics import (dice_per_class, distances, image_diagonal, object_f1,  # noqa: E402
                              surface_distance, surfaces)


def _reference(pred, truth, spacing):
    """Brute force: surfaces by erosion (outside = background), all pairwise distances."""
    from scipy import ndimage
    from scipy.spatial.distance import cdist

    def surf(m):
        return np.argwhere(m & ~ndimage.binary_erosion(m, border_value=0)) * np.asarray(spacing)

    a, b = surf(pred), surf(truth)
    d = cdist(a, b)
    dab, dba = d.min(1), d.min(0)
    return max(np.percentile(dab, 95), np.percentile(dba, 95)), (dab.sum() + dba.sum()) / (len(a) + len(b))


def test_single_voxels_at_anisotropic_spacing_hand_computed():
    truth, pred = np.zeros((4, 4, 8), int), np.zeros((4, 4, 8), int)
    truth[0, 0, 0] = pred[1, 2, 3] = 1
    m = distances(pred, truth, 2, spacing=(3.0, 1.0, 0.5))[1]
    # sqrt((1*3)^2 + (2*1)^2 + (3*0.5)^2) = sqrt(9 + 4 + 2.25)
    assert m["hd95"] == pytest.approx(math.sqrt(15.25)) and m["assd"] == pytest.approx(math.sqrt(15.25))


def test_asymmetric_surfaces_hd95_is_the_larger_directed_percentile():
    truth, pred = np.zeros((3, 3, 6), int), np.zeros((3, 3, 6), int)
    truth[0, 0, 0] = 1
    pred[0, 0, 0] = pred[0, 0, 4] = 1
    m = distances(pred, truth, 2, spacing=(1.0, 1.0, 0.5))[1]
    # pred -> truth: 0 and 4 * 0.5 = 2 mm (P95 of [0, 2] = 1.9); truth -> pred: 0
    assert m["hd95"] == pytest.approx(1.9)
    assert m["assd"] == pytest.approx((0 + 2 + 0) / 3)


def test_parallel_planes_distance_is_the_offset_times_the_spacing():
    truth, pred = np.zeros((8, 5, 6), int), np.zeros((8, 5, 6), int)
    truth[2], pred[5] = 1, 1
    m = distances(pred, truth, 2, spacing=(3.0, 0.7, 1.9))[1]
    assert m["hd95"] == pytest.approx(9.0) and m["assd"] == pytest.approx(9.0)


def test_offset_cubes_and_discs_match_a_brute_force_reference():
    truth, pred = np.zeros((12, 12, 12), int), np.zeros((12, 12, 12), int)
    truth[2:7, 2:7, 2:7] = 1
    pred[4:9, 2:7, 3:8] = 1
    spacing = (0.5, 2.0, 1.2)
    m = distances(pred, truth, 2, spacing)[1]
    hd, asd = _reference(pred == 1, truth == 1, spacing)
    assert m["hd95"] == pytest.approx(hd) and m["assd"] == pytest.approx(asd)
    # the background label of the same pair, and 2D discs
    hd, asd = _reference(pred == 0, truth == 0, spacing)
    assert distances(pred, truth, 2, spacing)[0]["hd95"] == pytest.approx(hd)
    yy, xx = np.mgrid[:40, :40]
    disc_t = ((yy - 20) ** 2 + (xx - 18) ** 2 <= 64).astype(int)
    disc_p = ((yy - 22) ** 2 + (xx - 21) ** 2 <= 81).astype(int)
    m = distances(disc_p, disc_t, 2, (0.3, 1.1))[1]
    hd, asd = _reference(disc_p == 1, disc_t == 1, (0.3, 1.1))
    assert m["hd95"] == pytest.approx(hd) and m["assd"] == pytest.approx(asd)


def test_chunked_surfaces_equal_whole_array_surfaces_and_mask_cuts_them():
    rng = np.random.default_rng(1)
    from scipy import ndimage

    truth = (ndimage.gaussian_filter(rng.random((14, 11, 9)), 1.5) > 0.5).astype(np.uint8)
    truth[ndimage.gaussian_filter(rng.random(truth.shape), 1.5) > 0.52] = 2
    pred = np.roll(truth, 1, axis=0)
    ref = surfaces(pred, truth, 3)
    lazy = surfaces(da.from_array(pred, chunks=(4, 3, 5)), da.from_array(truth, chunks=(5, 4, 3)), 3)
    for a, b in zip(ref[0] + ref[1], lazy[0] + lazy[1]):
        assert sorted(map(tuple, a)) == sorted(map(tuple, b))
    whole = distances(pred, truth, 3, (1.0, 1.0, 2.0))
    chunked = distances(pred, da.from_array(truth, chunks=(3, 3, 3)), 3, (1.0, 1.0, 2.0))
    assert all(w["hd95"] == pytest.approx(c["hd95"]) and w["assd"] == pytest.approx(c["assd"])
               for w, c in zip(whole, chunked))
    mask = np.zeros(truth.shape, bool)
    mask[:7] = True
    masked = distances(pred, truth, 3, (1.0, 1.0, 2.0), mask=mask)
    p, t = np.where(mask, pred, 0), np.where(mask, truth, 0)
    hd, _ = _reference((p == 1) & mask, (t == 1) & mask, (1.0, 1.0, 2.0))
    assert masked[1]["hd95"] == pytest.approx(hd)


def test_empty_labels_nan_or_the_image_diagonal():
    truth, pred = np.zeros((4, 6), int), np.zeros((4, 6), int)
    truth[1, 1] = 1
    m = distances(pred, truth, 3, (2.0, 1.0))
    assert m[1]["hd95"] == m[1]["assd"] == pytest.approx(image_diagonal((4, 6), (2.0, 1.0))) == pytest.approx(10.0)
    assert math.isnan(m[2]["hd95"]) and math.isnan(m[2]["assd"])
    with pytest.raises(ValueError, match="one value per array axis"):
        distances(pred, truth, 3, (1.0,))
    assert surface_distance(np.zeros((0, 2), int), np.zeros((0, 2), int), (1, 1))["hd95"] != 0


def test_object_f1_hand_computed():
    truth, pred = np.zeros((10, 20), bool), np.zeros((10, 20), bool)
    truth[1:4, 1:4] = True          # object A, 9 px: predicted exactly
    pred[1:4, 1:4] = True
    truth[6:9, 6:9] = True          # object B, 9 px: predicted 2 columns to the right
    pred[6:9, 8:11] = True          # overlap 3 px, union 15 -> IoU 0.2: no match
    pred[1:3, 15:18] = True         # a false positive
    # TP 1, 2 truth objects, 3 predicted -> 2 / 5
    assert object_f1(pred, truth) == pytest.approx(0.4)
    assert object_f1(truth, truth) == 1.0 and math.isnan(object_f1(pred & False, truth & False))
    m = label_metrics(pred.astype(int), truth.astype(int), 2, spacing=(1.0, 1.0), object_labels=(1,))
    assert m[1]["object_f1"] == pytest.approx(0.4) and math.isnan(m[0]["object_f1"])


def test_dice_per_class_for_training_validation():
    assert dice_per_class(np.array([0, 0, 2, 2]), np.array([0, 1, 2, 2]), 4)[0] == pytest.approx(2 / 3)
