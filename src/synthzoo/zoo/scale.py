"""How big the objects of an image are, and the pixel size at which a nuclei model sees them
at the size it was trained on.

A nuclei model learns nuclei of the sizes its generator drew (``object_size``: the spacing of
the nuclei's grid, in pixels at the model's spacing).  An image of unknown pixel size (a PNG,
a plain TIFF), or of nuclei much larger or smaller than the trained ones, would be segmented
at the wrong scale: on the generator's own images, nuclei two to five times the trained size
lose most of their object F1 (``docs/zoo.md``, Nuclei of any size).  Cellpose answers this
with a learned size model; here the size is measured directly:

* :func:`estimate_object_diameter`: the image smoothed (sigma 1 pixel), split at its Otsu
  threshold, opened and hole-filled; the distance transform's local maxima are the radii of
  the discs inscribed in the bright objects (touching nuclei keep one maximum each); their
  area-weighted median (each maximum weighted by r^2, so that specks of noise and fragments
  of textured nuclei count little) is the objects' typical inscribed diameter.  It reads
  ``READ_PER_GRID`` times the grid spacing on the ``fluorescence`` generator's images,
  whatever their contrast (measured: ``tests/zoo/test_zoo_scale.py``).
* :func:`trained_object_diameter`: that reading for the model's own training images, from
  the median grid spacing of the card's generator.
* :func:`matched_spacing`: the pixel size that makes the two agree.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import numpy as np

#: what :func:`estimate_object_diameter` reads on ``fluorescence`` generator images, per pixel
#: of the nuclei's grid spacing, at the trained sizes (nuclei radii are 0.35-0.5 grid spacings,
#: blurred by the PSF; measured 0.84-0.95 for grids of 8-16 pixels; larger nuclei read lower,
#: about 0.7-0.77 at 24-54 pixels, and nuclei 3-4 pixels across that blur together higher)
READ_PER_GRID = 0.85
#: fewest objects a measurement is trusted on
MIN_OBJECTS = 3
#: planes of a stack measured (evenly spaced among the planes of above-median contrast)
MAX_PLANES = 7


class ObjectSizeError(ValueError):
    """The objects of an image cannot be measured (none found)."""


def _plane_diameter(plane: np.ndarray) -> tuple[float, int]:
    from scipy import ndimage as ndi
    from skimage.feature import peak_local_max
    from skimage.filters import threshold_otsu

    x = ndi.gaussian_filter(np.asarray(plane, np.float32), 1.0)
    if not np.isfinite(x).all() or float(x.max() - x.min()) <= 0:
        return float("nan"), 0
    fg = x > threshold_otsu(x)
    fg = ndi.binary_fill_holes(ndi.binary_opening(fg, iterations=1))
    dt = ndi.distance_transform_edt(fg)
    peaks = peak_local_max(dt, min_distance=2, threshold_abs=1.5, exclude_border=False)
    if len(peaks) < MIN_OBJECTS:
        return float("nan"), len(peaks)
    r = np.sort(dt[tuple(peaks.T)])
    w = np.cumsum(r * r)
    return float(2 * r[np.searchsorted(w, w[-1] / 2)]), len(peaks)


def estimate_object_diameter(image: np.ndarray, *, where: str = "image") -> float:
    """Typical inscribed diameter (pixels) of the bright objects of a 2D ``image``, or of the
    planes along the last axis of a 3D one (the median over up to ``MAX_PLANES`` planes of
    above-median contrast).  Raises :class:`ObjectSizeError` (naming ``where``) when fewer
    than ``MIN_OBJECTS`` objects are found."""
    a = np.asarray(image)
    if a.ndim == 2:
        planes = [a]
    elif a.ndim == 3:
        std = a.reshape(-1, a.shape[-1]).std(0)
        keep = np.flatnonzero(std >= np.median(std))
        pick = keep[np.unique(np.linspace(0, len(keep) - 1, min(MAX_PLANES, len(keep))).round().astype(int))]
        planes = [a[..., k] for k in pick]
    else:
        raise ValueError(f"{where}: expected a 2D or 3D image, got shape {a.shape}")
    readings = [_plane_diameter(p) for p in planes]
    found = [d for d, _ in readings if np.isfinite(d)]
    if not found:
        n = max(k for _, k in readings)
        raise ObjectSizeError(f"{where}: cannot measure the size of its objects (found {n} bright "
                              f"objects, need {MIN_OBJECTS})")
    return float(np.median(found))


def trained_object_diameter(card: Any) -> float | None:
    """What :func:`estimate_object_diameter` reads on the model's training images (pixels at
    the card's spacing): ``READ_PER_GRID`` times the median of the card's generator's
    ``object_size`` sampler; ``None`` for a card whose generator draws no such objects."""
    gen = card.generator if isinstance(card.generator, dict) else {}
    spec = (gen.get("labels") or {}).get("object_size")
    if spec is None:
        return None
    return READ_PER_GRID * _median_grid(json.dumps(spec, sort_keys=True))


@functools.lru_cache(maxsize=64)
def _median_grid(spec: str) -> float:
    """Median of an ``object_size`` sampler (its JSON config), drawn once per sampler: every
    :func:`matched_spacing` of a model needs it."""
    import torch

    from synthzoo.generators.engine.samplers import as_sampler

    g = torch.Generator().manual_seed(0)
    grid = as_sampler(json.loads(spec), name="object_size").sample((4001,), generator=g).abs().clamp_min(2.0)
    return float(grid.median())


def matched_spacing(card: Any, diameter: float) -> float:
    """Pixel size (the card's unit) at which objects ``diameter`` pixels across in the image
    read as the model's :func:`trained_object_diameter`."""
    trained = trained_object_diameter(card)
    if trained is None:
        raise ObjectSizeError(f"model {card.name!r} was not trained on objects of a size "
                              "(its generator has no object_size); --object-size applies to nuclei models")
    if not (np.isfinite(diameter) and diameter > 0):
        raise ValueError(f"object size {diameter!r}: must be a number of pixels > 0")
    return float(card.spacing) * trained / float(diameter)
