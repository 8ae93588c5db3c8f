"""Segmentation metrics per label, computed from a confusion matrix accumulated chunk by chunk.

The truth may be a Dask array (a test-set case read lazily from Zarr): it is read one chunk
(block) at a time and compared with the matching region of the prediction, so memory stays
bounded by a chunk.  Every metric here follows from the ``K x K`` confusion matrix ``C``
(``C[t, p]`` = voxels of true label ``t`` predicted as ``p``):

- Dice ``2 |A & B| / (|A| + |B|)`` (NaN where the label is absent from both);
- volume similarity ``1 - | |A| - |B| | / (|A| + |B|)`` (Taha & Hanbury, BMC Med Imaging 2015).

Distance metrics (Hausdorff) need whole-volume distance transforms and are left out.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

METRICS = ("dice", "volume_similarity")


def _block_slices(arr: Any) -> list[tuple[slice, ...]]:
    """Slices of every Dask block of ``arr``; a NumPy array is one block."""
    chunks = getattr(arr, "chunks", None)
    if chunks is None or not isinstance(chunks[0], tuple):
        return [tuple(slice(0, n) for n in np.shape(arr))]
    bounds = []
    for c in chunks:
        edges = np.cumsum((0,) + tuple(c))
        bounds.append([slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])])
    return list(itertools.product(*bounds))


def confusion(pred: Any, truth: Any, n_labels: int, mask: Any = None) -> np.ndarray:
    """``int64 (K, K)`` confusion matrix of integer maps ``truth`` (rows) and ``pred``.

    Either may be a NumPy or a Dask array; they are compared block by block along the truth's
    chunks.  ``mask`` (optional, same shape) restricts the count to voxels where it is
    non-zero.  Values outside ``0..K-1`` are an error."""
    if tuple(np.shape(pred)) != tuple(np.shape(truth)):
        raise ValueError(f"prediction shape {tuple(np.shape(pred))} differs from truth shape "
                         f"{tuple(np.shape(truth))}")
    if mask is not None and tuple(np.shape(mask)) != tuple(np.shape(truth)):
        raise ValueError(f"mask shape {tuple(np.shape(mask))} differs from truth shape {tuple(np.shape(truth))}")
    k = int(n_labels)
    out = np.zeros((k, k), np.int64)
    for sl in _block_slices(truth):
        t = np.asarray(truth[sl]).astype(np.int64).ravel()
        p = np.asarray(pred[sl]).astype(np.int64).ravel()
        if mask is not None:
            m = np.asarray(mask[sl]).ravel() != 0
            t, p = t[m], p[m]
        for name, a in (("truth", t), ("prediction", p)):
            if a.size and (a.min() < 0 or a.max() >= k):
                raise ValueError(f"{name} has labels outside 0..{k - 1} (min {a.min()}, max {a.max()})")
        out += np.bincount(t * k + p, minlength=k * k).reshape(k, k)
    return out


def per_label(conf: np.ndarray) -> list[dict[str, float]]:
    """Metrics of each label from a confusion matrix: ``dice``, ``volume_similarity``,
    ``n_truth``, ``n_pred`` (NaN metrics where the label is absent from truth and prediction)."""
    conf = np.asarray(conf, np.int64)
    n_truth, n_pred, tp = conf.sum(1), conf.sum(0), np.diag(conf)
    out = []
    for k in range(conf.shape[0]):
        s = int(n_truth[k] + n_pred[k])
        out.append({
            "dice": float("nan") if s == 0 else 2 * int(tp[k]) / s,
            "volume_similarity": float("nan") if s == 0 else 1 - abs(int(n_truth[k]) - int(n_pred[k])) / s,
            "n_truth": int(n_truth[k]), "n_pred": int(n_pred[k]),
        })
    return out


def label_metrics(pred: Any, truth: Any, n_labels: int, mask: Any = None) -> list[dict[str, float]]:
    """:func:`per_label` of :func:`confusion` (chunk-wise over Dask inputs)."""
    return per_label(confusion(pred, truth, n_labels, mask))
