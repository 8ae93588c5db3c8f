"""Chunk-wise evaluation through Dask, memory report and figures."""

from __future__ import annotations

import numpy as np

import synthzoo.datasets as ds
from synthzoo.datasets.evaluate import case_stats, memtest
from synthzoo.datasets.figures import figure


def test_case_stats_match_numpy(tiny_root):
    ts = ds.open("neuro-contrasts", tiny_root)
    case = ts["t2w-se-1.5t-000"]
    got = case_stats(case, n_labels=4)
    img, lab = case.image.compute(), case.labels.compute()
    assert got["counts"] == {k: int((lab == k).sum()) for k in range(4)}
    for k in range(4):
        assert np.isclose(got["means"][k], img[lab == k].mean(), rtol=1e-5)
    assert got["threshold_label"] == 1  # CSF is brightest on T2w
    pred, true = img > got["threshold"], lab == 1
    assert np.isclose(got["threshold_dice"], 2 * (pred & true).sum() / (pred.sum() + true.sum()))


def test_memtest_reports_memory(tiny_root):
    ts = ds.open("micro-ct-pores", tiny_root)
    rep = memtest(ts["lab-80kv-000"], n_labels=3, workers=1)
    assert rep["n_chunks"] == 1 and rep["shape"] == [16, 16, 16]
    assert rep["rss_growth_mb"] >= 0 and rep["tracemalloc_peak_mb"] > 0
    assert rep["stats"]["threshold_label"] == 2  # the dense inclusions are brightest
    assert rep["stats"]["threshold_dice"] > 0.3


def test_figure_has_one_panel_per_contrast(tiny_root, tmp_path):
    import matplotlib.image as mpimg

    for name in ("neuro-contrasts", "ultrasound-phantoms"):
        out = figure(name, tiny_root, out=tmp_path / f"{name}.png")
        img = mpimg.imread(out)
        assert img.ndim == 3 and img.shape[0] > 100 and img[..., :3].std() > 0.05
    assert not list(tmp_path.glob(".*tmp*"))
