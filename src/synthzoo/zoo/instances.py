"""Object instances from a segmentation: touching nuclei separated by a boundary class.

A model whose labels include ``boundary`` (e.g. ``background, nucleus, boundary``, trained on
:class:`~synthzoo.generators.domains.fluorescence.Fluorescence` with ``boundary=True``) marks
the rim of every object; the interiors of touching objects are then disjoint.  Each connected
interior (face connectivity) seeds one instance, which grows over the object's pixels (interior
and boundary) by a watershed on the interior probability; an object found as boundary only (too
small for an interior) is an instance of its own.  Without a boundary class, instances are the
connected components of the foreground.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

BOUNDARY = "boundary"


class InstanceError(ValueError):
    """Labels from which no instances can be made."""


def object_classes(label_names: Sequence[str]) -> tuple[int, int | None]:
    """``(object, boundary)`` label indices of a model's labels: the one label besides the
    background and ``boundary`` (``boundary`` is ``None`` when absent)."""
    names = list(label_names)
    rest = [i for i, n in enumerate(names) if i > 0 and n != BOUNDARY]
    if len(rest) != 1:
        raise InstanceError(f"instances need one object label besides the background"
                            f"{' and boundary' if BOUNDARY in names else ''}; labels: {', '.join(names)}")
    return rest[0], (names.index(BOUNDARY) if BOUNDARY in names else None)


def instances_from_probabilities(prob: np.ndarray, label_names: Sequence[str]) -> np.ndarray:
    """Instance ids ``int32 (*spatial)`` (0 background, 1..N) from class probabilities
    ``(K, *spatial)`` of a model with ``label_names``."""
    from scipy import ndimage

    prob = np.asarray(prob)
    if prob.shape[0] != len(label_names):
        raise InstanceError(f"probabilities have {prob.shape[0]} classes, the labels "
                            f"{len(label_names)}: {', '.join(label_names)}")
    obj, bnd = object_classes(label_names)
    labels = prob.argmax(0)
    if bnd is None:
        return ndimage.label(labels == obj)[0].astype(np.int32)
    return instances_from_boundary(labels == obj, labels == bnd, prob[obj])


def instances_from_boundary(interior: np.ndarray, boundary: np.ndarray,
                            elevation: np.ndarray | None = None) -> np.ndarray:
    """Instance ids ``int32`` from boolean ``interior`` and ``boundary`` masks: one seed per
    connected interior, grown over ``interior | boundary`` by a watershed on ``-elevation``
    (default: the distance to the nearest non-interior pixel); objects without interior
    become instances of their own."""
    from scipy import ndimage
    from skimage.segmentation import watershed

    interior, boundary = np.asarray(interior, bool), np.asarray(boundary, bool)
    if interior.shape != boundary.shape:
        raise InstanceError(f"interior {interior.shape} and boundary {boundary.shape} differ in shape")
    seeds, n = ndimage.label(interior)
    objects = interior | boundary
    if elevation is None:
        elevation = ndimage.distance_transform_edt(interior)
    grown = watershed(-np.asarray(elevation, np.float32), markers=seeds, mask=objects)
    rest = ndimage.label(objects & (grown == 0))[0]
    grown = np.where(rest > 0, rest + n, grown)
    return grown.astype(np.int32)


__all__ = ["BOUNDARY", "InstanceError", "instances_from_boundary", "instances_from_probabilities",
           "object_classes"]
