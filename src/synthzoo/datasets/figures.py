"""One figure per test set: a panel per contrast (first case), image with label contours.

3D cases show the middle slice across their slice axis (axial ``z`` for ``xyz`` and ``zyx``
layouts); only that slice is read from the store (Dask).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthzoo._io import save_figure

from synthzoo.datasets.base import Case


def middle_slice(case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[float, float]]:
    """Image, labels, mask of the middle axial slice as ``(rows, cols)`` arrays, and the pixel
    spacing (rows, cols) for the aspect ratio."""
    axes, sp = case.attrs["axes"], case.spacing
    arrays = [case.image, case.labels, case.mask]
    if axes == "xyz":  # show x left-right, y (anterior) up
        z = case.image.shape[2] // 2
        out = [None if a is None else np.asarray(a[:, :, z].compute()).T[::-1] for a in arrays]
        aspect = (sp[1], sp[0])
    elif axes == "zyx":
        z = case.image.shape[0] // 2
        out = [None if a is None else np.asarray(a[z].compute()) for a in arrays]
        aspect = (sp[1], sp[2])
    elif axes == "yx":
        out = [None if a is None else np.asarray(a.compute()) for a in arrays]
        aspect = (sp[0], sp[1])
    else:
        raise ValueError(f"case {case.name!r}: unknown axes {axes!r}; valid: xyz, zyx, yx")
    return out[0], out[1], out[2], aspect


def figure(name: str, root: str | Path | None = None, out: str | Path = "testset.png") -> Path:
    """Save a figure of test set ``name`` (built under ``root``): one panel per contrast."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from synthzoo.datasets import open as open_set

    ts = open_set(name, root)
    first: dict[str, Case] = {}
    for case in ts:
        first.setdefault(case.contrast, case)
    n = len(first)
    cols = min(n, 5)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.4 * rows), squeeze=False)
    colors = plt.get_cmap("tab10")
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (contrast, case) in zip(axes.ravel(), first.items()):
        img, lab, mask, (sy, sx) = middle_slice(case)
        region = (mask > 0) if mask is not None else np.ones(img.shape, bool)
        units = str(case.attrs.get("units", ""))
        if units == "HU":
            lo, hi = -20.0, 100.0  # brain window
        elif "[0, 1]" in units and "template" not in units:
            lo, hi = 0.0, 1.0  # already display-scaled (B-mode, normalised EM counts)
        else:
            lo, hi = np.percentile(img[region], [1, 98]) if region.any() else (0.0, 1.0)
        ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, aspect=sy / sx, interpolation="nearest")
        for k in range(1, int(lab.max()) + 1):
            if (lab == k).any():
                ax.contour(lab == k, levels=[0.5], colors=[colors(k % 10)], linewidths=0.6)
        ax.set_title(contrast, fontsize=9)
    names = ts.card.label_names
    handles = [plt.Line2D([], [], color=colors(k % 10), label=names[k]) for k in range(1, len(names))]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.suptitle(f"{name}: {ts.card.description}", fontsize=10)
    fig.tight_layout(rect=(0, 0.04, 1, 0.96))
    return save_figure(fig, out, dpi=110)
