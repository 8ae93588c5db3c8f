"""Segmentation metrics, one module for training validation, held-out checks and the benchmark.

Inputs are integer label maps of the same shape, ``(*spatial)`` (2D or 3D, array axes in
the order of ``spacing``), as NumPy arrays, Dask arrays (a test-set case read lazily from
Zarr) or, for :func:`dice_per_class`, torch tensors.  Per label ``k`` with truth voxels ``A``
and predicted voxels ``B``:

- **Dice** ``2 |A & B| / (|A| + |B|)`` (Dice 1945);
- **volume similarity** ``1 - ||A| - |B|| / (|A| + |B|)`` (Taha & Hanbury, BMC Med Imaging 2015);
- **HD95** and **ASSD** in mm: with ``S(A)`` the surface voxels of ``A`` (voxels of ``A`` with a
  face neighbour outside ``A``; the image border and, with a mask, the field-of-view border
  count as outside) and ``d(x, S)`` the Euclidean distance in mm (voxel centres scaled by
  ``spacing``) to the nearest voxel of ``S``:
  ``HD95 = max(P95_{a in S(A)} d(a, S(B)), P95_{b in S(B)} d(b, S(A)))`` (95th percentile,
  NumPy's linear interpolation; Huttenlocher et al., IEEE TPAMI 1993; the convention of
  MONAI's ``compute_hausdorff_distance``) and
  ``ASSD = (sum_a d(a, S(B)) + sum_b d(b, S(A))) / (|S(A)| + |S(B)|)`` (Heimann et al.,
  IEEE TMI 2009).  Both are NaN where the label is absent from truth and prediction, and the
  image diagonal in mm where it is absent from exactly one of them (the BraTS convention of
  a maximal penalty; Bakas et al. 2018, arXiv:1811.02629);
- **object F1** at IoU 0.5 (instance outputs, e.g. nuclei): objects are the connected
  components (face connectivity) of the label in truth and prediction; a truth and a predicted
  object match when their IoU exceeds 0.5 (such a match is unique), and
  ``F1 = 2 TP / (n_truth_objects + n_pred_objects)`` (Caicedo et al., Nat Methods 2019).

**Memory.**  Dice and volume similarity follow from a ``K x K`` confusion matrix accumulated
block by block along the truth's chunks (:func:`confusion`).  Surface distances never build a
whole-volume distance transform: the surfaces are extracted block by block (each block read
with a one-voxel halo; :func:`surfaces`), only the surface voxels' coordinates are kept
(``O(area)``, not ``O(volume)``), and the distances come from a k-d tree on one surface
queried with the other in batches of :data:`QUERY_BATCH` points (:func:`surface_distance`).
Peak memory is one block (plus halo) of the label maps plus the surface coordinates.  Object
F1 labels connected components of the whole case, so it holds two ``int32`` maps of the case.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Sequence

import numpy as np

#: metrics of one label in a record, in this order
METRICS = ("dice", "volume_similarity", "hd95", "assd", "object_f1")
#: metrics where lower is better (distances in mm)
LOWER_IS_BETTER = frozenset({"hd95", "assd"})
#: surface points queried against the k-d tree at a time
QUERY_BATCH = 1 << 18
#: IoU above which a predicted object matches a truth object (object F1)
OBJECT_IOU = 0.5


def dice_per_class(pred: Any, truth: Any, n_classes: int) -> list[float]:
    """Hard Dice per class (NaN where a class is absent from both) of integer maps of the same
    shape (NumPy arrays or torch tensors, any layout, e.g. ``(B, *spatial)``)."""
    out = []
    for k in range(n_classes):
        a, b = pred == k, truth == k
        s = int(a.sum()) + int(b.sum())
        out.append(float("nan") if s == 0 else 2 * int((a & b).sum()) / s)
    return out


def block_slices(arr: Any) -> list[tuple[slice, ...]]:
    """Slices of every Dask block of ``arr``; a NumPy array is one block."""
    chunks = getattr(arr, "chunks", None)
    if chunks is None or not isinstance(chunks[0], tuple):
        return [tuple(slice(0, n) for n in np.shape(arr))]
    bounds = []
    for c in chunks:
        edges = np.cumsum((0,) + tuple(c))
        bounds.append([slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])])
    return list(itertools.product(*bounds))


def _check_shapes(pred: Any, truth: Any, mask: Any) -> None:
    if tuple(np.shape(pred)) != tuple(np.shape(truth)):
        raise ValueError(f"prediction shape {tuple(np.shape(pred))} differs from truth shape "
                         f"{tuple(np.shape(truth))}")
    if mask is not None and tuple(np.shape(mask)) != tuple(np.shape(truth)):
        raise ValueError(f"mask shape {tuple(np.shape(mask))} differs from truth shape {tuple(np.shape(truth))}")


def _check_range(name: str, a: np.ndarray, k: int) -> None:
    if a.size and (a.min() < 0 or a.max() >= k):
        raise ValueError(f"{name} has labels outside 0..{k - 1} (min {a.min()}, max {a.max()})")


def confusion(pred: Any, truth: Any, n_labels: int, mask: Any = None) -> np.ndarray:
    """``int64 (K, K)`` confusion matrix of integer maps ``truth`` (rows) and ``pred``.

    Either may be a NumPy or a Dask array; they are compared block by block along the truth's
    chunks.  ``mask`` (optional, same shape) restricts the count to voxels where it is
    non-zero.  Values outside ``0..K-1`` are an error."""
    _check_shapes(pred, truth, mask)
    k = int(n_labels)
    out = np.zeros((k, k), np.int64)
    for sl in block_slices(truth):
        t = np.asarray(truth[sl]).astype(np.int64).ravel()
        p = np.asarray(pred[sl]).astype(np.int64).ravel()
        if mask is not None:
            m = np.asarray(mask[sl]).ravel() != 0
            t, p = t[m], p[m]
        _check_range("truth", t, k)
        _check_range("prediction", p, k)
        out += np.bincount(t * k + p, minlength=k * k).reshape(k, k)
    return out


def per_label(conf: np.ndarray) -> list[dict[str, float]]:
    """Overlap metrics of each label from a confusion matrix: ``dice``, ``volume_similarity``,
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


# --------------------------------------------------------------------------- surfaces
def _surface_voxels(padded: np.ndarray) -> np.ndarray:
    """Indices ``(n, ndim)`` (in the unpadded frame) of the surface voxels of a boolean array
    padded by one voxel on every side: set voxels with a face neighbour that is not set."""
    inner = tuple(slice(1, -1) for _ in range(padded.ndim))
    core = padded[inner]
    interior = core.copy()
    for ax in range(padded.ndim):
        for shift in (0, 2):
            sl = list(inner)
            sl[ax] = slice(shift, padded.shape[ax] - 2 + shift)
            interior &= padded[tuple(sl)]
    return np.argwhere(core & ~interior)


def surfaces(pred: Any, truth: Any, n_labels: int, mask: Any = None
             ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Surface voxel indices of every label in ``pred`` and in ``truth``: two lists of ``K``
    ``int64 (n, ndim)`` arrays.  Read block by block (the truth's chunks) with a one-voxel halo;
    outside the image and outside ``mask`` count as outside every label."""
    _check_shapes(pred, truth, mask)
    shape = tuple(np.shape(truth))
    k = int(n_labels)
    out_p: list[list[np.ndarray]] = [[] for _ in range(k)]
    out_t: list[list[np.ndarray]] = [[] for _ in range(k)]
    for sl in block_slices(truth):
        read = tuple(slice(max(s.start - 1, 0), min(s.stop + 1, n)) for s, n in zip(sl, shape))
        pad = [(1 - (s.start - r.start), 1 - (r.stop - s.stop)) for s, r in zip(sl, read)]
        t = np.pad(np.asarray(truth[read]).astype(np.int64), pad, constant_values=-1)
        p = np.pad(np.asarray(pred[read]).astype(np.int64), pad, constant_values=-1)
        if mask is not None:
            m = np.pad(np.asarray(mask[read]) != 0, pad, constant_values=False)
            t[~m], p[~m] = -1, -1
        core = tuple(slice(1, -1) for _ in shape)
        _check_range("truth", t[core][t[core] >= 0], k)
        _check_range("prediction", p[core][p[core] >= 0], k)
        offset = np.array([s.start for s in sl], np.int64)
        for arr, out in ((p, out_p), (t, out_t)):
            for label in np.unique(arr[core]):
                if label >= 0:
                    out[label].append(_surface_voxels(arr == label) + offset)
    empty = np.zeros((0, len(shape)), np.int64)
    return ([np.concatenate(v) if v else empty for v in out_p],
            [np.concatenate(v) if v else empty for v in out_t])


def _directed(a: np.ndarray, tree: Any) -> np.ndarray:
    """Distance of each point of ``a`` (mm coordinates) to the nearest point of ``tree``
    (queries run on every core: the benchmark's slowest step on 160^3 heads)."""
    out = np.empty(len(a), np.float64)
    for i in range(0, len(a), QUERY_BATCH):
        out[i:i + QUERY_BATCH] = tree.query(a[i:i + QUERY_BATCH], k=1, workers=-1)[0]
    return out


def surface_distance(pred_surface: np.ndarray, truth_surface: np.ndarray, spacing: Sequence[float],
                     *, diagonal: float = math.inf) -> dict[str, float]:
    """``{"hd95", "assd"}`` in mm between two surfaces given as voxel indices ``(n, ndim)``
    (:func:`surfaces`) at ``spacing`` (mm per array axis).  NaN when both are empty;
    ``diagonal`` (the image diagonal in mm) when exactly one is."""
    from scipy.spatial import cKDTree

    if len(pred_surface) == 0 and len(truth_surface) == 0:
        return {"hd95": float("nan"), "assd": float("nan")}
    if len(pred_surface) == 0 or len(truth_surface) == 0:
        return {"hd95": float(diagonal), "assd": float(diagonal)}
    s = np.asarray(spacing, np.float64)
    if s.shape != (pred_surface.shape[1],):
        raise ValueError(f"spacing {tuple(spacing)} must give one value per array axis "
                         f"({pred_surface.shape[1]})")
    a, b = pred_surface * s, truth_surface * s
    d_ab, d_ba = _directed(a, cKDTree(b)), _directed(b, cKDTree(a))
    hd95 = max(float(np.percentile(d_ab, 95)), float(np.percentile(d_ba, 95)))
    return {"hd95": hd95, "assd": float((d_ab.sum() + d_ba.sum()) / (len(a) + len(b)))}


def image_diagonal(shape: Sequence[int], spacing: Sequence[float]) -> float:
    """Length in mm of the diagonal of an image of ``shape`` at ``spacing``."""
    return float(math.sqrt(sum((n * s) ** 2 for n, s in zip(shape, spacing))))


def distances(pred: Any, truth: Any, n_labels: int, spacing: Sequence[float], mask: Any = None
              ) -> list[dict[str, float]]:
    """``[{"hd95", "assd"}]`` in mm per label (chunk-wise surfaces, see the module notes)."""
    if len(spacing) != len(np.shape(truth)):
        raise ValueError(f"spacing {tuple(spacing)} must give one value per array axis "
                         f"of the shape {tuple(np.shape(truth))}")
    sp, st = surfaces(pred, truth, n_labels, mask)
    diag = image_diagonal(np.shape(truth), spacing)
    return [surface_distance(p, t, spacing, diagonal=diag) for p, t in zip(sp, st)]


# --------------------------------------------------------------------------- objects
def object_f1(pred_mask: Any, truth_mask: Any, *, iou: float = OBJECT_IOU,
              pred_instances: Any = None, truth_instances: Any = None) -> float:
    """F1 of object detection: objects are the connected components (face connectivity) of
    the boolean ``truth_mask`` and ``pred_mask`` (same shape) -- or the given instance ids
    (``*_instances``, 0 background, taken inside their mask), so that touching objects count
    apart -- matched when their IoU exceeds ``iou`` (>= 0.5, so each object matches at most
    one).  NaN when neither has an object."""
    from scipy import ndimage

    if iou < 0.5:
        raise ValueError(f"iou must be >= 0.5 (unique matching), got {iou}")

    def objects(mask: Any, ids: Any) -> tuple[np.ndarray, int]:
        mask = np.asarray(mask) != 0
        if ids is None:
            return ndimage.label(mask)
        ids = np.asarray(ids)
        if ids.shape != mask.shape:
            raise ValueError(f"instances {ids.shape} and mask {mask.shape} differ in shape")
        present, lab = np.unique(np.where(mask, ids, 0), return_inverse=True)
        lab = lab.reshape(mask.shape)
        if present[0] != 0:  # every pixel an object: no background id among them
            lab = lab + 1
        return lab, int((present != 0).sum())

    lt, nt = objects(truth_mask, truth_instances)
    lp, n_p = objects(pred_mask, pred_instances)
    if nt + n_p == 0:
        return float("nan")
    both = (lt > 0) & (lp > 0)
    codes, inter = np.unique(lt[both].astype(np.int64) * (n_p + 1) + lp[both], return_counts=True)
    area_t = np.bincount(lt.ravel(), minlength=nt + 1)
    area_p = np.bincount(lp.ravel(), minlength=n_p + 1)
    ti, pi = np.divmod(codes, n_p + 1)
    tp = int((inter / (area_t[ti] + area_p[pi] - inter) > iou).sum())
    return 2 * tp / (nt + n_p)


# --------------------------------------------------------------------------- per label
def label_metrics(pred: Any, truth: Any, n_labels: int, mask: Any = None, *,
                  spacing: Sequence[float] | None = None,
                  object_labels: Sequence[int] = (), pred_instances: Any = None,
                  truth_instances: Any = None) -> list[dict[str, float]]:
    """Per label: ``dice``, ``volume_similarity``, ``n_truth``, ``n_pred`` (:func:`per_label` of
    :func:`confusion`), with ``spacing`` also ``hd95`` and ``assd`` in mm (:func:`distances`), and
    ``object_f1`` (:func:`object_f1`, with the instance ids when given; NaN for labels not in
    ``object_labels``).  Everything is restricted to ``mask`` when given."""
    out = per_label(confusion(pred, truth, n_labels, mask))
    if spacing is not None:
        for m, d in zip(out, distances(pred, truth, n_labels, spacing, mask)):
            m.update(d)
    for k, m in enumerate(out):
        m["object_f1"] = float("nan")
        if k in object_labels:
            fov = True if mask is None else np.asarray(mask) != 0
            m["object_f1"] = object_f1((np.asarray(pred) == k) & fov, (np.asarray(truth) == k) & fov,
                                       pred_instances=pred_instances, truth_instances=truth_instances)
    return out


__all__ = ["METRICS", "LOWER_IS_BETTER", "block_slices", "confusion", "dice_per_class", "distances",
           "image_diagonal", "label_metrics", "object_f1", "per_label", "surface_distance", "surfaces"]
