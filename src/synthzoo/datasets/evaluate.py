"""Chunk-wise evaluation of a case through Dask, with peak-memory measurement.

:func:`case_stats` computes per-label voxel counts and mean intensities, and the Dice of a
threshold segmentation of the brightest label, as block-wise partial sums reduced by Dask:
only a few chunks are in memory at a time.  :func:`memtest` runs it and reports the growth of
the process's peak resident memory (``resource.getrusage``) and the ``tracemalloc`` peak.
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from typing import Any

import numpy as np

from synthzoo.datasets.base import Case


def _block_sums(img: np.ndarray, lab: np.ndarray, *, n: int, thr: float, target: int) -> np.ndarray:
    """Per block: counts[n], intensity sums[n], then tp, predicted, true for the threshold Dice."""
    lab = lab.astype(np.int64).ravel()
    img = img.astype(np.float64).ravel()
    pred = img > thr
    true = lab == target
    out = np.concatenate([np.bincount(lab, minlength=n)[:n], np.bincount(lab, weights=img, minlength=n)[:n],
                          [np.sum(pred & true), pred.sum(), true.sum()]])
    return out


def _reduce(case: Case, *, n: int, thr: float, target: int, scheduler: str, workers: int) -> np.ndarray:
    import dask.array as da

    image, labels = case.image, case.labels
    nd = image.ndim

    def block(img: np.ndarray, lab: np.ndarray) -> np.ndarray:
        return _block_sums(img, lab, n=n, thr=thr, target=target).reshape((1,) * nd + (2 * n + 3,))

    chunks = tuple((1,) * len(c) for c in image.chunks) + ((2 * n + 3,),)
    parts = da.map_blocks(block, image, labels, chunks=chunks, new_axis=nd, dtype=np.float64,
                          meta=np.empty((0,) * (nd + 1)))
    return parts.sum(axis=tuple(range(nd))).compute(scheduler=scheduler, num_workers=workers)


def case_stats(case: Case, *, n_labels: int | None = None, scheduler: str = "threads",
               workers: int = 2) -> dict[str, Any]:
    """Per-label voxel counts and mean intensity, and the threshold Dice of the brightest label
    (threshold halfway between its mean and the next brightest label's), computed chunk-wise."""
    n = int(n_labels or 256)
    first = _reduce(case, n=n, thr=np.inf, target=0, scheduler=scheduler, workers=workers)
    counts, sums = first[:n], first[n : 2 * n]
    present = np.flatnonzero(counts)
    means = {int(k): float(sums[k] / counts[k]) for k in present}
    order = sorted(means, key=means.get)
    out: dict[str, Any] = {"counts": {int(k): int(counts[k]) for k in present}, "means": means}
    if len(order) >= 2:
        target, below = order[-1], order[-2]
        thr = (means[target] + means[below]) / 2
        second = _reduce(case, n=n, thr=thr, target=target, scheduler=scheduler, workers=workers)
        tp, pred, true = second[2 * n :]
        out.update({"threshold": thr, "threshold_label": int(target),
                    "threshold_dice": float(2 * tp / max(pred + true, 1))})
    return out


def _maxrss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 ** 2 if sys.platform == "darwin" else r / 1024


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 1024 ** 2
    except OSError:
        return float("nan")


def memtest(case: Case, *, n_labels: int | None = None, workers: int = 2) -> dict[str, Any]:
    """Evaluate ``case`` chunk-wise and report memory: RSS before, the peak RSS during the
    evaluation (sampled every 5 ms) and its growth, ``ru_maxrss`` before and after, the
    tracemalloc peak (Python/NumPy allocations during the evaluation), the case's array
    sizes and chunk size."""
    import gc
    import threading

    import dask

    # warm-up on one chunk: the scheduler's and codecs' first-use imports (several MB of
    # bytecode) would otherwise count as the evaluation's allocations
    first = (0,) * case.image.ndim
    dask.compute(case.image.blocks[first].sum(), case.labels.blocks[first].max(),
                 scheduler="threads", num_workers=workers)
    gc.collect()
    rss0, peak0 = _rss_mb(), _maxrss_mb()
    sampled = [rss0]
    done = threading.Event()

    def sample() -> None:  # RSS every 5 ms: the peak during the evaluation itself
        while not done.wait(0.005):
            sampled.append(_rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    tracemalloc.start()
    t = time.perf_counter()
    try:
        stats = case_stats(case, n_labels=n_labels, workers=workers)
    finally:
        seconds = time.perf_counter() - t
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        done.set()
        sampler.join()
    peak1 = _maxrss_mb()
    chunk = case.image.chunksize
    return {
        "case": case.name, "shape": list(case.image.shape), "chunks": list(chunk),
        "n_chunks": int(np.prod(case.image.numblocks)),
        "image_mb": case.image.nbytes / 1024 ** 2, "labels_mb": case.labels.nbytes / 1024 ** 2,
        "chunk_mb": float(np.prod(chunk)) * 4 / 1024 ** 2,
        "rss_before_mb": rss0, "peak_rss_before_mb": peak0, "peak_rss_after_mb": peak1,
        "sampled_peak_rss_mb": max(sampled), "rss_growth_mb": max(sampled) - rss0,
        "maxrss_growth_mb": peak1 - peak0,
        "tracemalloc_peak_mb": traced_peak / 1024 ** 2, "seconds": seconds, "workers": workers,
        "stats": stats,
    }
