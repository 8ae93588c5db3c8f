"""Classical contrast-agnostic segmentation baselines, registered by name like models.

Each baseline splits the voxels inside the field of view (the case's mask where it has one,
else the whole image) into ``K`` intensity classes, ``K`` = the number of labels of the test
set, ranked from darkest to brightest:

- ``multi-otsu``: thresholds maximising the between-class variance of the histogram
  (Liao, Chen & Chung, J Inf Sci Eng 2001; :func:`skimage.filters.threshold_multiotsu`);
- ``kmeans``: 1-D k-means (Lloyd) on the intensities, run on a 1024-bin histogram and
  initialised at the ``(2i+1)/2K`` quantiles (deterministic).

Intensity classes carry no label names, so a rule must say which class is which label.  The
rule here is **calibrated**: the rank -> label mapping is the Hungarian matching (maximum
voxel overlap, :func:`scipy.optimize.linear_sum_assignment`) on one *separate* labelled
calibration case of the same contrast (another seed), never on the case being scored.  The
baselines therefore see one labelled image of the target contrast, which the domain-randomized
models never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from synthzoo._registry import Registry

BASELINES: Registry["Baseline"] = Registry("baseline", "synthzoo.baselines")

MAPPING_RULE = ("cluster rank -> label by Hungarian matching on one labelled calibration case "
                "of the same contrast (different seed)")


def _foreground(image: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    vals = image[mask != 0] if mask is not None else image.ravel()
    vals = vals[np.isfinite(vals)].astype(np.float64)
    if vals.size == 0:
        raise ValueError("no finite intensities inside the field of view")
    return vals


def multi_otsu_thresholds(vals: np.ndarray, k: int) -> np.ndarray:
    """``k - 1`` increasing thresholds of :func:`skimage.filters.threshold_multiotsu`."""
    from skimage.filters import threshold_multiotsu

    if k < 2:
        raise ValueError(f"multi-otsu needs at least 2 classes, got {k}")
    if np.unique(vals[: 1_000_000]).size < k:
        raise ValueError(f"multi-otsu: the image has fewer than {k} distinct intensities")
    return np.asarray(threshold_multiotsu(vals, classes=k, nbins=256), np.float64)


def kmeans_centers(vals: np.ndarray, k: int, *, bins: int = 1024, iters: int = 200) -> np.ndarray:
    """Sorted centres of 1-D k-means on ``vals`` (weighted Lloyd iterations on a histogram)."""
    if k < 1:
        raise ValueError(f"kmeans needs at least 1 class, got {k}")
    counts, edges = np.histogram(vals, bins=bins)
    x = (edges[:-1] + edges[1:]) / 2
    w = counts.astype(np.float64)
    centers = np.quantile(vals, (2 * np.arange(k) + 1) / (2 * k))
    for _ in range(iters):
        assign = np.abs(x[:, None] - centers[None]).argmin(1)
        new = centers.copy()
        for j in range(k):
            wj = w[assign == j]
            if wj.sum() > 0:
                new[j] = (x[assign == j] * wj).sum() / wj.sum()
        if np.allclose(new, centers, rtol=0, atol=1e-9 * max(1.0, float(np.ptp(x)))):
            break
        centers = new
    return np.sort(centers)


def _thresholds_from_centers(centers: np.ndarray) -> np.ndarray:
    return (centers[:-1] + centers[1:]) / 2


@dataclass(frozen=True)
class Baseline:
    """An intensity clustering baseline: ``thresholds(values, k)`` -> ``k - 1`` cut points."""

    name: str
    description: str
    thresholds: Callable[[np.ndarray, int], np.ndarray]
    version: str = "1"

    def ranks(self, image: np.ndarray, mask: np.ndarray | None, k: int) -> np.ndarray:
        """Intensity class ``0..k-1`` (darkest first) of every voxel (0 outside the mask)."""
        image = np.asarray(image, np.float32)
        t = self.thresholds(_foreground(image, mask), k)
        r = np.digitize(image, t).astype(np.int64)
        if mask is not None:
            r[mask == 0] = 0
        return r

    def calibrate(self, image: np.ndarray, labels: np.ndarray, mask: np.ndarray | None,
                  k: int) -> tuple[int, ...]:
        """Rank -> label mapping maximising overlap with ``labels`` on a calibration case."""
        from scipy.optimize import linear_sum_assignment

        r = self.ranks(image, mask, k)
        lab = np.asarray(labels).astype(np.int64)
        inside = (mask != 0) if mask is not None else np.ones(lab.shape, bool)
        overlap = np.bincount(r[inside] * k + lab[inside], minlength=k * k).reshape(k, k)
        rows, cols = linear_sum_assignment(-overlap)
        mapping = np.zeros(k, np.int64)
        mapping[rows] = cols
        return tuple(int(v) for v in mapping)

    def predict(self, image: np.ndarray, mask: np.ndarray | None, mapping: tuple[int, ...]) -> np.ndarray:
        """Label map ``uint8`` of ``image`` with a calibrated rank -> label ``mapping``."""
        k = len(mapping)
        return np.asarray(mapping, np.uint8)[self.ranks(image, mask, k)]


def _kmeans_thresholds(vals: np.ndarray, k: int) -> np.ndarray:
    return _thresholds_from_centers(kmeans_centers(vals, k))


# registered by entry points (group ``synthzoo.baselines``) in pyproject.toml
MULTI_OTSU = Baseline("multi-otsu", "Multi-level Otsu thresholds on the intensities in the field of view",
                      multi_otsu_thresholds)
KMEANS = Baseline("kmeans", "1-D k-means on the intensities in the field of view", _kmeans_thresholds)
