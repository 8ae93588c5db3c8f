import numpy as np
import pytest

from synthzoo.benchmarks.baselines import BASELINES, kmeans_centers
from synthzoo.metrics import label_metrics


def _two_class(seed, *, bright_object=True):
    rng = np.random.default_rng(seed)
    labels = np.zeros((48, 48), np.uint8)
    c = rng.integers(16, 32, 2)
    labels[c[0] - 10 : c[0] + 10, c[1] - 8 : c[1] + 8] = 1
    level = np.where(labels == 1, 1.0, 0.2) if bright_object else np.where(labels == 1, 0.2, 1.0)
    return (level + rng.normal(0, 0.08, labels.shape)).astype(np.float32), labels


@pytest.mark.parametrize("name", ["multi-otsu", "kmeans"])
@pytest.mark.parametrize("bright", [True, False])
def test_baseline_calibrated_on_one_case_segments_another(name, bright):
    b = BASELINES.get(name)
    img, lab = _two_class(0, bright_object=bright)
    mapping = b.calibrate(img, lab, None, 2)
    # the mapping follows the contrast: the object is the brighter rank only when it is bright
    assert mapping == ((0, 1) if bright else (1, 0))
    test_img, test_lab = _two_class(1, bright_object=bright)  # another case: not seen by calibrate
    pred = b.predict(test_img, None, mapping)
    assert pred.dtype == np.uint8 and pred.shape == test_lab.shape
    assert label_metrics(pred, test_lab, 2)[1]["dice"] > 0.95


def test_mask_limits_the_clustering_and_prediction():
    img, lab = _two_class(2)
    mask = np.ones_like(lab)
    mask[:, :4] = 0
    img[:, :4] = 50.0  # a huge value outside the field of view must not move the thresholds
    b = BASELINES.get("multi-otsu")
    pred = b.predict(img, mask, b.calibrate(img, lab, mask, 2))
    assert (pred[:, :4] == 0).all()
    assert label_metrics(pred, lab, 2, mask)[1]["dice"] > 0.95


def test_kmeans_centers_three_levels_and_errors():
    rng = np.random.default_rng(3)
    vals = np.concatenate([rng.normal(m, 0.05, 2000) for m in (0.0, 1.0, 3.0)])
    assert kmeans_centers(vals, 3) == pytest.approx([0.0, 1.0, 3.0], abs=0.03)
    with pytest.raises(ValueError, match="fewer than 3 distinct"):
        BASELINES.get("multi-otsu").predict(np.ones((8, 8), np.float32), None, (0, 1, 2))
    with pytest.raises(KeyError, match="available: kmeans, multi-otsu"):
        BASELINES.get("nope")
