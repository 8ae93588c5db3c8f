"""Sliding-window inference in slabs: bounded memory, exact Gaussian blending, any array input.

Windows follow nnU-Net (Isensee et al., Nature Methods 2021): windows of the model's patch
size spread evenly over the (zero-padded) image with a given overlap, each window's softmax
weighted by a Gaussian importance map (sigma = patch / 8) and the weighted sum divided by the
summed weights.

The windows are visited row by row along the first spatial axis.  Only the windows of the
current row can still add to the voxels from the row's start up to the next row's start, so
once a row is done that slab is final: it is normalised and handed to ``write``, and the
accumulators shift on.  Memory therefore holds one slab of one window's thickness: the input
``(B, C, w0, *padded[1:])`` and the accumulators ``(B, K + 1, w0, *padded[1:])``, never the
whole volume; the input is read slab by slab with ``image[:, :, a:b]``, so a lazily read Dask
array (a Zarr test set) is only ever read one slab at a time.  Every voxel sums the same
windows in the same order as blending over the whole image at once, so the result is the same.

:func:`sliding_window` (``synthzoo predict``, the benchmark) and :func:`sliding_window_dask`
(lazy arrays, results written to Zarr) both run :func:`stream`.

**Precision.** The network may run in bfloat16 (:func:`resolve_precision`): ``auto`` takes it
where the device computes it natively (a CPU with AVX-512 BF16 or AMX, a CUDA GPU with
bfloat16) and float32 elsewhere.  Only the network's layers run in low precision (PyTorch
autocast; normalisation layers stay in float32); its output, the softmax, the blending and
everything after it are float32.  ``docs/speed.md`` gives the measured speed and the change
of Dice.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

#: windows sent through the network at once (CPU: 8 64^2 windows ran faster per window than
#: 4 or 32; a GPU may use more)
BATCH = 8
#: default overlap of neighbouring windows (MONAI's default; nnU-Net uses 0.5, which runs
#: (1 - 0.25)^d / (1 - 0.5)^d = 2.25x (2D) as many windows for the same Dice on synthetic
#: fluorescence, docs/speed.md)
OVERLAP = 0.25

Progress = Callable[[int, int], None]  # (windows done, windows in all)

#: precisions the network can run in; ``auto``: :func:`resolve_precision`
PRECISIONS = ("auto", "float32", "bfloat16", "float16")
#: environment variable that sets the precision ``auto`` stands for (e.g. ``float32`` for
#: bit-for-bit float32 results on a CPU that has bfloat16)
PRECISION_ENV = "SYNTHZOO_PRECISION"


def native_bfloat16(device: torch.device | str) -> bool:
    """Whether ``device`` computes bfloat16 natively: a CUDA GPU that supports it, or a CPU
    with AVX-512 BF16 or AMX tiles (elsewhere oneDNN emulates it, slower than float32)."""
    dev = torch.device(device)
    if dev.type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if dev.type != "cpu":
        return False
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):  # private helpers: absent from a torch that lacks them
        return False


def resolve_precision(precision: str, device: torch.device | str) -> str:
    """``precision`` as run on ``device``: ``auto`` becomes ``$SYNTHZOO_PRECISION`` when set,
    else ``bfloat16`` where :func:`native_bfloat16`, else ``float32``.  Raises ``ValueError``
    (one line) for an unknown precision or float16 on a CPU."""
    if precision == "auto":
        precision = os.environ.get(PRECISION_ENV, "").strip() or "auto"
        if precision not in PRECISIONS:
            raise ValueError(f"{PRECISION_ENV}={precision!r} is not a precision; valid: {', '.join(PRECISIONS)}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: valid: {', '.join(PRECISIONS)}")
    if precision == "auto":
        return "bfloat16" if native_bfloat16(device) else "float32"
    if precision == "float16" and torch.device(device).type != "cuda":
        raise ValueError("precision float16 needs a CUDA device; on this device use bfloat16 or float32")
    return precision


def logits(model: torch.nn.Module, x: torch.Tensor, precision: str = "float32") -> torch.Tensor:
    """``model(x)`` as float32, the network run in ``precision`` (a resolved one: not ``auto``)."""
    if precision == "float32":
        return model(x).float()
    if precision not in PRECISIONS[1:]:
        raise ValueError(f"precision {precision!r}: resolve it first (resolve_precision)")
    with torch.autocast(x.device.type, dtype=getattr(torch, precision)):
        y = model(x)
    return y.float()


class FlipAveraged(torch.nn.Module):
    """``model`` with mirror test-time augmentation: its output is the log of the class
    probabilities averaged over the input as it is and mirrored along every subset of
    ``axes`` (spatial axes, 0 = the first), each mirrored prediction mirrored back first --
    SynthSeg's left-right flip at inference (Billot et al., Medical Image Analysis 2023) and
    nnU-Net's mirroring (Isensee et al., Nature Methods 2021).  ``perm`` (optional): the class a
    mirrored structure shows as (e.g. left <-> right labels), so ``prob[:, perm]`` of a mirrored
    prediction is the unmirrored one's.  A softmax of the output gives the averaged
    probabilities; the network runs once per subset (``2 ** len(axes)`` times)."""

    def __init__(self, model: torch.nn.Module, axes: Sequence[int], perm: Sequence[int] | None = None) -> None:
        super().__init__()
        self.model = model
        self.axes = tuple(int(a) for a in axes)
        self.perm = None if perm is None else list(perm)

    def divisor(self) -> int:
        return getattr(self.model, "divisor", lambda: 1)()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dims = [tuple(2 + a for a in c) for k in range(len(self.axes) + 1)
                for c in itertools.combinations(self.axes, k)]
        total = 0.0
        for d in dims:
            prob = self.model(x.flip(d) if d else x).float().softmax(1)
            if d:
                prob = prob.flip(d)
                if self.perm is not None:
                    prob = prob[:, self.perm]
            total = total + prob
        return (total / len(dims)).clamp_min(1e-12).log()


def gaussian_importance(patch: Sequence[int], device: torch.device | str = "cpu") -> torch.Tensor:
    """Separable Gaussian weight map ``(*patch)`` with sigma = patch / 8, max 1."""
    w = torch.ones((), device=device)
    for n in patch:
        x = torch.arange(n, device=device, dtype=torch.float32) - (n - 1) / 2
        g = torch.exp(-0.5 * (x / (n / 8)) ** 2)
        w = w.unsqueeze(-1) * g
    return (w / w.max()).clamp_min(1e-3)


def _starts(size: int, patch: int, stride: int) -> list[int]:
    if size <= patch:
        return [0]
    n = math.ceil((size - patch) / stride) + 1
    return sorted({round(i * (size - patch) / (n - 1)) for i in range(n)})


@dataclass(frozen=True)
class Grid:
    """Where the windows go.  ``padded``: the image zero-padded to at least the patch and to a
    multiple of ``divisor`` (the image sits at ``offset`` in it); ``win``: the window size;
    ``starts``: window starts per axis in padded coordinates."""

    spatial: tuple[int, ...]
    padded: tuple[int, ...]
    win: tuple[int, ...]
    starts: tuple[tuple[int, ...], ...]

    @property
    def offset(self) -> tuple[int, ...]:
        return tuple((t - s) // 2 for s, t in zip(self.spatial, self.padded))

    @property
    def n_windows(self) -> int:
        return math.prod(len(s) for s in self.starts)


def plan(spatial: Sequence[int], patch: Sequence[int], *, overlap: float = OVERLAP,
         divisor: int = 1) -> Grid:
    """The window grid of an image of size ``spatial`` (see :class:`Grid`)."""
    if not 0 <= overlap < 1:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    spatial = tuple(int(s) for s in spatial)
    patch = tuple(int(p) for p in patch)
    if len(patch) != len(spatial):
        raise ValueError(f"patch {patch} and image spatial shape {spatial} differ in dims")
    padded = tuple(math.ceil(max(s, p) / divisor) * divisor for s, p in zip(spatial, patch))
    win = tuple(min(p, s) for p, s in zip(patch, padded))
    starts = tuple(tuple(_starts(s, w, max(1, int(w * (1 - overlap))))) for s, w in zip(padded, win))
    return Grid(spatial, padded, win, starts)


def _read(image: Any, a: int, b: int, grid: Grid, device: torch.device) -> torch.Tensor:
    """Padded-coordinate rows ``[a, b)`` of ``image (B, C, *spatial)``, zero-padded to the
    padded grid on every axis, as a float32 tensor."""
    off0, n0 = grid.offset[0], grid.spatial[0]
    lo, hi = max(a - off0, 0), min(b - off0, n0)
    if isinstance(image, torch.Tensor):
        block = image[:, :, lo:hi].to(device=device, dtype=torch.float32)
    else:
        block = torch.from_numpy(np.ascontiguousarray(np.asarray(image[:, :, lo:hi]), dtype=np.float32)).to(device)
    pad: list[int] = []
    for s, t in reversed(list(zip(grid.spatial[1:], grid.padded[1:]))):
        pad += [(t - s) // 2, t - s - (t - s) // 2]
    before = lo + off0 - a
    pad += [before, (b - a) - before - (hi - lo)]
    return F.pad(block, pad)


@torch.no_grad()
def stream(model: torch.nn.Module, image: Any, grid: Grid, *, n_classes: int,
           write: Callable[[int, int, torch.Tensor], None], batch: int = BATCH,
           device: torch.device | str = "cpu", progress: Progress | None = None,
           precision: str = "float32") -> None:
    """Blend the softmax of ``model`` (run in ``precision``, see :func:`logits`) over the windows of ``grid`` on ``image (B, C, *spatial)``
    (a tensor, NumPy, Dask or Zarr array) and call ``write(lo, hi, prob)`` with the final class
    probabilities ``float32 (B, n_classes, hi - lo, *spatial[1:])`` of image rows ``[lo, hi)``
    along the first spatial axis, in order, each row once (see the module notes)."""
    dev = torch.device(device)
    b, w0 = int(image.shape[0]), grid.win[0]
    rest = grid.padded[1:]
    weight = gaussian_importance(grid.win, dev)
    acc = torch.zeros((b, n_classes, w0, *rest), device=dev)
    norm = torch.zeros((w0, *rest), device=dev)
    rows = grid.starts[0]
    others = list(itertools.product(*grid.starts[1:]))
    done, total = 0, grid.n_windows
    off, n0 = grid.offset, grid.spatial[0]
    crop = tuple(slice(o, o + s) for o, s in zip(off[1:], grid.spatial[1:]))
    for r, s0 in enumerate(rows):
        x = _read(image, s0, s0 + w0, grid, dev)
        for i in range(0, len(others), batch):
            group = others[i : i + batch]
            sl = [tuple(slice(c, c + w) for c, w in zip(corner, grid.win[1:])) for corner in group]
            tiles = torch.cat([x[(slice(None), slice(None), slice(None)) + s] for s in sl])
            prob = logits(model, tiles, precision).softmax(1) * weight
            for j, s in enumerate(sl):
                acc[(slice(None), slice(None), slice(None)) + s] += prob[j * b : (j + 1) * b]
                norm[(slice(None),) + s] += weight
            done += len(group)
            if progress is not None:
                progress(done, total)
        nxt = rows[r + 1] if r + 1 < len(rows) else grid.padded[0]
        step = nxt - s0  # rows [s0, nxt) are final
        lo, hi = max(s0 - off[0], 0), min(nxt - off[0], n0)
        if hi > lo:
            a = lo + off[0] - s0
            sel = (slice(None), slice(None), slice(a, a + hi - lo)) + crop
            write(lo, hi, acc[sel] / norm[sel[2:]])
        keep = w0 - step
        if keep > 0:  # shift the accumulators by one row step (a copy only if source and
            #          destination overlap, i.e. overlap > 0.5)
            acc[:, :, :keep] = acc[:, :, step:] if keep <= step else acc[:, :, step:].clone()
            norm[:keep] = norm[step:] if keep <= step else norm[step:].clone()
        acc[:, :, max(w0 - step, 0):] = 0
        norm[max(w0 - step, 0):] = 0


@torch.no_grad()
def sliding_window(model: torch.nn.Module, image: torch.Tensor, patch: Sequence[int], *,
                   n_classes: int, overlap: float = OVERLAP, divisor: int = 1,
                   batch: int = BATCH, progress: Progress | None = None,
                   precision: str = "float32") -> torch.Tensor:
    """Class probabilities ``(B, K, *spatial)`` of ``image (B, C, *spatial)``, the network
    run in ``precision`` (:func:`logits`).

    The image is zero-padded to at least ``patch`` (and to a multiple of ``divisor``);
    windows overlap by ``overlap`` (0 <= overlap < 1) and are blended with Gaussian weights."""
    grid = plan(image.shape[2:], patch, overlap=overlap, divisor=divisor)
    out = torch.empty((image.shape[0], n_classes, *grid.spatial), device=image.device)

    def write(lo: int, hi: int, prob: torch.Tensor) -> None:
        out[:, :, lo:hi] = prob

    stream(model, image, grid, n_classes=n_classes, write=write, batch=batch,
           device=image.device, progress=progress, precision=precision)
    return out


def sliding_window_dask(model: torch.nn.Module, image: Any, patch: Sequence[int], *,
                        n_classes: int, out: Any = None, overlap: float = OVERLAP,
                        divisor: int = 1, batch: int = BATCH, device: str = "cpu",
                        progress: Progress | None = None, precision: str = "float32") -> Any:
    """Label map ``uint8 (*spatial)`` of a single-channel image ``(*spatial)`` held as a Dask
    (or Zarr, NumPy) array, already normalised, written slab by slab into ``out`` (any array
    that takes slice assignment, e.g. a Zarr array; default a new NumPy array); returns ``out``.

    Peak memory is one slab of one window's thickness (module notes), whatever the size of
    ``image``, plus ``out`` when it is in memory."""
    if n_classes > 255:
        raise ValueError(f"n_classes {n_classes}: uint8 labels hold at most 255 classes")
    grid = plan(image.shape, patch, overlap=overlap, divisor=divisor)
    if out is None:
        out = np.zeros(grid.spatial, np.uint8)
    elif tuple(out.shape) != grid.spatial:
        raise ValueError(f"out has shape {tuple(out.shape)}; the image has {grid.spatial}")

    class _Batched:  # (1, 1, *spatial) view of ``image`` for :func:`stream`
        shape = (1, 1, *grid.spatial)

        def __getitem__(self, key: tuple) -> Any:
            return np.asarray(image[key[2:]])[None, None]

    def write(lo: int, hi: int, prob: torch.Tensor) -> None:
        out[lo:hi] = prob[0].argmax(0).to(torch.uint8).cpu().numpy()

    stream(model, _Batched(), grid, n_classes=n_classes, write=write, batch=batch, device=device,
           progress=progress, precision=precision)
    return out
