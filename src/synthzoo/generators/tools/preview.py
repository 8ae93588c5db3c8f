"""Preview montages and sample files: what ``synthzoo generate preview/sample`` call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from synthzoo._io import atomic_write, save_figure, write_text
from synthzoo.generators.engine.base import Generator, Sample


def make_generator(name: str, *, size: int, dims: int, spacing: float | None = None,
                   **overrides) -> Generator:
    """Instantiate generator ``name`` for outputs of ``size`` voxels per side."""
    from synthzoo.generators import get_generator

    cls = get_generator(name)
    if dims not in cls.dims:
        raise ValueError(f"generator {name!r} supports dims {cls.dims}, not {dims}")
    kwargs = dict(overrides)
    kwargs.setdefault("out_size", size)
    if spacing is None and hasattr(cls, "suggested_spacing"):
        spacing = cls.suggested_spacing(size, dims)
    if spacing is not None:
        kwargs["spacing"] = spacing
    return cls(**kwargs)


def _device(device: str | None) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def draw(name: str, *, n: int, seed: int, dims: int, size: int, device: str | None = "cpu",
         labels: torch.Tensor | None = None, spacing: float | None = None) -> tuple[Generator, Sample]:
    """Draw ``n`` samples of generator ``name`` (default label maps unless ``labels`` given)."""
    dev = _device(device)
    gen = make_generator(name, size=size, dims=dims, spacing=spacing).to(dev)
    g = torch.Generator(device=dev)
    g.manual_seed(seed)
    if labels is None:
        labels = gen.default_labels(batch=n, size=size, dims=dims, generator=g)
    else:
        labels = labels.to(dev)
        if labels.shape[0] == 1 and n > 1:
            labels = labels.expand(n, *labels.shape[1:]).contiguous()
    with torch.no_grad():
        sample = gen(labels, generator=g)
    return gen, sample


def _slices(x: np.ndarray, planes: Sequence[tuple[int, str]] | None = None) -> list[np.ndarray]:
    """Display planes of a ``(*spatial)`` array: itself (2D), or mid axial and coronal (3D).

    With ``planes`` (a generator's ``preview_planes``: ``(axis, name)`` pairs, e.g.
    ``((0, "xy"), (1, "xz"))`` for microscopy with z first) the 3D planes are the mid slices
    across those axes, and arrays are shown as stored (first axis down)."""
    if planes is not None:
        if x.ndim == 2:
            return [x]
        return [np.take(x, x.shape[a] // 2, axis=a) for a, _ in planes]
    if x.ndim == 2:
        return [x.T]
    return [x[:, :, x.shape[2] // 2].T, x[:, x.shape[1] // 2, :].T]


def label_cmap(n: int):
    """Black background, then distinct colours (tab10, then tab20b/c) for ``n`` labels."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    cols = [(0.0, 0.0, 0.0, 1.0)] + list(colormaps["tab10"].colors) + list(colormaps["tab20b"].colors)
    cols = cols + list(colormaps["tab20c"].colors) * (1 + n // 20)
    return ListedColormap(cols[: max(n, 2)])


def montage(sample: Sample, *, title: str, out: str | Path, label_names: Sequence[str] = (),
            planes: Sequence[tuple[int, str]] | None = None) -> Path:
    """Save a montage: one column per sample, rows image plane(s) then the target labels.

    ``planes``: see :func:`_slices` (default: brain orientation, axial and coronal)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    img = sample.image[:, 0].detach().float().cpu().numpy()
    lab = sample.labels[:, 0].detach().cpu().numpy()
    n = img.shape[0]
    origin = "lower" if planes is None else "upper"
    row_names = ["image"] if img.ndim == 3 else (
        ["axial", "coronal"] if planes is None else [name for _, name in planes])
    views = [_slices(im, planes) for im in img]
    lviews = [_slices(lb, planes)[0] for lb in lab]
    rows = len(views[0]) + 1
    fig, axes = plt.subplots(rows, n, figsize=(1.9 * n, 1.9 * rows), squeeze=False)
    n_lab = max(int(lab.max()) + 1, len(label_names), 2)
    cmap = label_cmap(n_lab)
    for j in range(n):
        for i, pl in enumerate(views[j]):
            axes[i, j].imshow(pl, cmap="gray", origin=origin, interpolation="nearest")
        axes[-1, j].imshow(lviews[j], cmap=cmap, vmin=0, vmax=cmap.N - 1,
                           origin=origin, interpolation="nearest")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for i, r in enumerate(row_names + ["labels"]):
        axes[i, 0].set_ylabel(r)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out, dpi=110)


def preview(name: str, *, n: int = 8, seed: int = 0, dims: int = 2, size: int = 96,
            out: str | Path = "preview.png", device: str | None = "cpu") -> Path:
    """Montage of ``n`` synthetic images of generator ``name`` with their label maps."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    gen, sample = draw(name, n=n, seed=seed, dims=dims, size=size, device=device)
    title = f"{name} ({dims}D, {size}^{dims}, seed {seed}): {gen.description}"
    return montage(sample, title=title, out=out, label_names=gen.label_names,
                   planes=getattr(gen, "preview_planes", None))


SAMPLE_SUFFIXES = ("_image.nii.gz", "_labels.nii.gz", "_image.tif", "_labels.tif", "_params.json")


def is_samples_folder(path: Path) -> bool:
    """Whether ``path`` is a folder that holds only what :func:`write_samples` writes (so it may
    be written into again with ``--overwrite``; nothing else in it is ever touched)."""
    path = Path(path)
    return path.is_dir() and all(p.is_file() and p.name.endswith(SAMPLE_SUFFIXES) for p in path.iterdir())


def write_samples(name: str, *, out_dir: str | Path, n: int = 1, seed: int = 0,
                  labels_path: str | Path | None = None, dims: int = 3, size: int = 96,
                  device: str | None = "cpu") -> list[Path]:
    """Write ``n`` image/label pairs (NIfTI for 3D, TIFF for 2D) with the drawn parameters
    as JSON beside each.  With ``labels_path`` the label map is read from that file."""
    import nibabel as nib
    import tifffile

    from synthzoo.generators.engine.labels import load_labels, read_label_map

    out_dir = Path(out_dir)
    spacing = None
    labels = None
    affine = None
    if labels_path is not None:
        arr, sp = read_label_map(labels_path)
        dims, size = arr.ndim, max(arr.shape)
        spacing = float(sp[0]) if sp else 1.0
        from synthzoo.generators import get_generator

        gen_cls = get_generator(name)
        probe = gen_cls(spacing=spacing)
        labels = load_labels(labels_path, n_labels=probe.n_labels)
        if str(labels_path).lower().endswith((".nii", ".nii.gz")):
            affine = nib.load(str(labels_path)).affine
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(n):
        kw = {"spacing": spacing} if spacing is not None else {}
        gen = None
        if labels is not None:
            gen = make_generator(name, size=size, dims=dims, out_size=tuple(labels.shape[2:]), **kw)
            dev = _device(device)
            g = torch.Generator(device=dev)
            g.manual_seed(seed + i)
            with torch.no_grad():
                sample = gen.to(dev)(labels.to(dev), generator=g)
        else:
            gen, sample = draw(name, n=1, seed=seed + i, dims=dims, size=size, device=device, **kw)
        img = sample.image[0].cpu().numpy()
        lab = sample.labels[0, 0].cpu().numpy().astype(np.int16)
        stem = f"{name}_{seed + i:05d}"
        sp = sample.spacing or (1.0,) * dims
        if dims == 3:
            aff = affine if affine is not None else np.diag([*sp, 1.0])
            im_path, lb_path = out_dir / f"{stem}_image.nii.gz", out_dir / f"{stem}_labels.nii.gz"
            vol = img[0] if img.shape[0] == 1 else np.moveaxis(img, 0, -1)
            atomic_write(im_path, lambda p: nib.save(nib.Nifti1Image(vol.astype(np.float32), aff), str(p)))
            atomic_write(lb_path, lambda p: nib.save(nib.Nifti1Image(lab, aff), str(p)))
        else:
            im_path, lb_path = out_dir / f"{stem}_image.tif", out_dir / f"{stem}_labels.tif"
            atomic_write(im_path, lambda p: tifffile.imwrite(str(p), img.astype(np.float32)))
            atomic_write(lb_path, lambda p: tifffile.imwrite(str(p), lab))
        meta = {"generator": name, "seed": seed + i, "spacing": list(sp),
                "label_names": list(gen.label_names), "config": gen.config(),
                "params": json.loads(sample.params_json(0))}
        js = out_dir / f"{stem}_params.json"
        write_text(js, json.dumps(meta, indent=1))
        written += [im_path, lb_path, js]
    return written
