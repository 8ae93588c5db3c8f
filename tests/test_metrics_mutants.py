"""Segmentation metrics (synthzoo.metrics) behaviour by behaviour: the metric names and their
direction, block iteration over chunked inputs, input checks and what they say.  Written
against the surviving mutants of scripts/mutation.sh."""

from __future__ import annotations

import math

import dask.array as da
import numpy as np
import pytest

from synthzoo import metrics as M


def test_every_listed_metric_is_computed_and_a_perfect_prediction_is_best_in_its_direction():
    truth = np.zeros((12, 12), int)
    truth[2:6, 2:6] = 1
    truth[8:11, 7:11] = 1
    worse = np.zeros_like(truth)
    worse[3:7, 2:6] = 1  # one object shifted, the other missed
    perfect = M.label_metrics(truth, truth, 2, spacing=(1.0, 1.0), object_labels=(1,))[1]
    imperfect = M.label_metrics(worse, truth, 2, spacing=(1.0, 1.0), object_labels=(1,))[1]
    assert set(perfect) == set(M.METRICS) | {"n_truth", "n_pred"}
    assert M.LOWER_IS_BETTER <= set(M.METRICS) and len(M.LOWER_IS_BETTER) == 2
    for name in M.METRICS:
        if name in M.LOWER_IS_BETTER:
            assert perfect[name] == 0 and imperfect[name] > 0, name
        else:
            assert perfect[name] == 1 and imperfect[name] < 1, name


def test_block_slices_of_dask_zarr_and_numpy_inputs():
    lazy = da.zeros((5, 4), chunks=(2, 3))
    assert M.block_slices(lazy) == [(slice(0, 2), slice(0, 3)), (slice(0, 2), slice(3, 4)),
                                    (slice(2, 4), slice(0, 3)), (slice(2, 4), slice(3, 4)),
                                    (slice(4, 5), slice(0, 3)), (slice(4, 5), slice(3, 4))]
    assert M.block_slices(da.zeros(7, chunks=3)) == [(slice(0, 3),), (slice(3, 6),), (slice(6, 7),)]
    assert M.block_slices(np.zeros((3, 2))) == [(slice(0, 3), slice(0, 2))]

    class ChunkedLikeZarr:  # .chunks is one chunk shape (ints), not Dask's tuple of tuples
        shape = (6, 4)
        chunks = (2, 2)

    assert M.block_slices(ChunkedLikeZarr()) == [(slice(0, 6), slice(0, 4))]


def test_shape_and_label_range_errors_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"^prediction shape \(2, 2\) differs from truth shape \(2, 3\)$"):
        M.confusion(np.zeros((2, 2), int), np.zeros((2, 3), int), 2)
    with pytest.raises(ValueError, match=r"^mask shape \(3, 2\) differs from truth shape \(2, 2\)$"):
        M.confusion(np.zeros((2, 2), int), np.zeros((2, 2), int), 2, mask=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"^mask shape \(3, 2\) differs from truth shape \(2, 2\)$"):
        M.surfaces(np.zeros((2, 2), int), np.zeros((2, 2), int), 2, mask=np.ones((3, 2)))
    ok = np.array([[0, 1], [2, 1]])
    for fn in (M.confusion, M.surfaces):
        # the label equal to n_labels is already outside
        with pytest.raises(ValueError, match=r"^truth has labels outside 0\.\.2 \(min 0, max 3\)$"):
            fn(ok, np.array([[0, 3], [1, 2]]), 3)
        with pytest.raises(ValueError, match=r"^prediction has labels outside 0\.\.2 \(min 0, max 3\)$"):
            fn(np.array([[0, 3], [1, 2]]), ok, 3)
    with pytest.raises(ValueError, match=r"^prediction has labels outside 0\.\.2 \(min -1, max 2\)$"):
        M.confusion(np.array([[0, -1], [1, 2]]), ok, 3)
    assert M.confusion(ok, ok, 3).trace() == 4


def _surface_reference(labels, k, mask=None):
    """Independent surfaces: voxels of label k (inside mask) that erosion with face
    connectivity removes, the image border and the mask border counting as outside."""
    from scipy import ndimage

    m = labels == k
    if mask is not None:
        m &= mask != 0
    return {tuple(i) for i in np.argwhere(m & ~ndimage.binary_erosion(m, border_value=0))}


@pytest.mark.parametrize("chunks", [None, (3, 4, 5)])
def test_surfaces_of_labels_touching_the_border_blockwise_and_masked(chunks):
    from scipy import ndimage

    rng = np.random.default_rng(3)
    shape = (7, 9, 11)
    truth = (ndimage.gaussian_filter(rng.random(shape), 1.5) * 30).astype(int) % 3
    pred = np.roll(truth, 1, axis=1)
    assert (truth[0] == 1).any() and (truth[:, :, -1] == 2).any()  # labels reach the border
    mask = np.ones(shape, np.uint8)
    mask[:, :2] = 0
    lazy = truth if chunks is None else da.from_array(truth, chunks=chunks)
    for msk in (None, mask):
        sp, st = M.surfaces(pred, lazy, 3, msk)
        for k in range(3):
            assert {tuple(i) for i in st[k]} == _surface_reference(truth, k, msk), (k, msk is None)
            assert {tuple(i) for i in sp[k]} == _surface_reference(pred, k, msk), (k, msk is None)
            assert len(st[k]) == len({tuple(i) for i in st[k]})  # each voxel once


def test_spacing_and_iou_errors_say_what_is_valid():
    pts = np.zeros((3, 2), np.int64)
    with pytest.raises(ValueError, match=r"^spacing \(1\.0, 1\.0, 1\.0\) must give one value per array axis \(2\)$"):
        M.surface_distance(pts, pts + 1, (1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match=r"^spacing \(1\.0,\) must give one value per array axis of the shape "
                                         r"\(2, 3\)$"):
        M.distances(np.zeros((2, 3), int), np.zeros((2, 3), int), 2, (1.0,))
    with pytest.raises(ValueError, match=r"^iou must be >= 0\.5 \(unique matching\), got 0\.4$"):
        M.object_f1(np.ones((2, 2)), np.ones((2, 2)), iou=0.4)


def test_object_f1_never_matches_an_object_with_the_background():
    truth = np.zeros((6, 6), bool)
    truth[0, 0] = True
    # the prediction's one object is exactly the truth's background: no match
    assert M.object_f1(~truth, truth) == 0.0
    # and the other way round
    assert M.object_f1(truth, ~truth) == 0.0
    # no object on one side: every object of the other is a miss
    assert M.object_f1(np.zeros((6, 6), bool), truth) == 0.0
    assert M.object_f1(truth, np.zeros((6, 6), bool)) == 0.0
    assert math.isnan(M.object_f1(np.zeros((6, 6), bool), np.zeros((6, 6), bool)))


def test_object_f1_needs_an_iou_above_one_half():
    truth = np.zeros((4, 4), bool)
    truth[0:2, 0:2] = True
    half = np.zeros((4, 4), bool)
    half[0:2, 0] = True  # IoU 2 / 4: exactly one half, not above it
    assert M.object_f1(half, truth) == 0.0
    more = truth.copy()
    more[0, 0] = False  # IoU 3 / 4
    assert M.object_f1(more, truth) == 1.0


def test_object_f1_in_label_metrics_counts_objects_inside_the_mask_only():
    truth = np.zeros((6, 10), int)
    truth[1:3, 1:3] = 1  # object A, inside the field of view
    truth[1:3, 7:9] = 1  # object B, outside it
    pred = np.zeros_like(truth)
    pred[1:3, 1:3] = 1  # finds A only
    fov = np.full(truth.shape, 2, np.uint8)  # any non-zero value is inside
    fov[:, 6:] = 0
    assert M.label_metrics(pred, truth, 2, fov, object_labels=(1,))[1]["object_f1"] == 1.0
    assert M.label_metrics(pred, truth, 2, object_labels=(1,))[1]["object_f1"] == pytest.approx(2 / 3)
    assert math.isnan(M.label_metrics(pred, truth, 2, fov, object_labels=(1,))[0]["object_f1"])
