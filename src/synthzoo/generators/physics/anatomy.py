"""Brain label maps for the brain domains (neuro-MRI, CT, PET): training anatomy as torch label
maps (from a registered anatomy source, :mod:`synthzoo.anatomy`) and a shell of non-brain
labels around a brain (for sources without a head).

The MNI152 template loaders and their split live in :mod:`synthzoo.anatomy.mni152` and are
re-exported here.
"""

from __future__ import annotations

import numpy as np

from synthzoo.anatomy.mni152 import (  # noqa: F401  (re-exported)
    BRAIN_NAMES, GUARD, HELDOUT_Z, LABEL_NAMES, LICENSE, TEMPLATE_SPACING, heldout_labels,
    heldout_z, template_affine, template_t1, tissue_probabilities, training_labels, training_z,
)


# --------------------------------------------------------------------------- label maps
# Shared by the brain domains (neuro-MRI, CT, PET): training anatomy as torch label maps and a
# shell of non-brain labels around it (SynthSeg generates non-brain tissue and drops it from
# the target).


def _window(vol, size, start):
    """Crop / zero pad each axis of a spatial tensor ``vol`` to ``size``: ``start(slack)`` gives
    where the window begins (cropping) or how much padding goes before (padding), for the
    ``slack = |current - wanted|`` voxels of that axis."""
    import torch.nn.functional as F

    out = vol
    for axis, n in enumerate(size):
        cur = out.shape[axis]
        if cur > n:
            out = out.narrow(axis, start(cur - n), n)
        elif cur < n:
            before = start(n - cur)
            pad = [0, 0] * out.dim()
            k = out.dim() - 1 - axis
            pad[2 * k], pad[2 * k + 1] = before, n - cur - before
            out = F.pad(out, pad)
    return out


def fit(vol, size):
    """Centre crop / zero pad a spatial tensor ``vol`` to ``size``; returns ``(1, 1, *size)``."""
    return _window(vol, size, lambda slack: slack // 2)[None, None]


def training_label_maps(*, batch: int, size, dims: int, spacing: float, generator):
    """Training anatomy (held-out slab excluded) as ``int64 (B, 1, *size)`` labels 0..3 at
    ``spacing`` mm, centre cropped/padded; ``dims=2`` gives random axial slices (those whose
    brain area is at least a quarter of the largest)."""
    import torch

    vol = torch.from_numpy(training_labels(spacing)).to(generator.device)
    if dims == 3:
        return fit(vol, size).expand(batch, 1, *size).clone()
    area = (vol > 0).flatten(0, 1).sum(0).float()
    usable = torch.nonzero(area >= 0.25 * area.max()).flatten()
    pick = torch.randint(len(usable), (batch,), generator=generator, device=generator.device)
    return torch.stack([fit(vol[..., int(usable[k])], size)[0] for k in pick])


def add_shell(labels, *, n_extra: int, spacing: float, generator, width=(2, 12),
              skull_label: int | None = None, skull_width=(3, 9)):
    """Fill a shell of random width (``width`` mm, drawn per sample) around the brain
    (labels > 0) of ``labels`` ``int64 (B, 1, *spatial)`` with ``n_extra`` random shapes
    (:func:`~synthzoo.generators.engine.labels.noise_shapes`), labelled ``len(LABEL_NAMES) ..``.

    With ``skull_label``, a layer of ``skull_width`` mm directly around the brain gets that
    label and the shapes fill the shell beyond it (the skull of CT and PET heads)."""
    import torch
    import torch.nn.functional as F

    from synthzoo.generators.engine.labels import noise_shapes

    if n_extra == 0 and skull_label is None:
        return labels
    d = labels.dim() - 2
    B = labels.shape[0]
    dev = generator.device
    brain = (labels > 0).float()
    pool = F.max_pool2d if d == 2 else F.max_pool3d

    def dilate(mask, r):  # a cube dilation, separable: one 1D max-pool per axis
        for axis in range(d):
            k = [1] * d
            k[axis] = 2 * r + 1
            pad = [0] * d
            pad[axis] = r
            mask = pool(mask, kernel_size=tuple(k), stride=1, padding=tuple(pad))
        return mask > 0

    extra = None
    if n_extra > 0:
        extra = noise_shapes(batch=B, size=labels.shape[2:], n_labels=n_extra,
                             generator=generator) + len(LABEL_NAMES)
    out = []
    for b in range(B):
        lab = labels[b : b + 1]
        r = int(torch.randint(int(width[0]), int(width[1]), (), generator=generator, device=dev))
        r = max(1, int(r / spacing))
        skull = torch.zeros_like(lab, dtype=torch.bool)
        if skull_label is not None:
            s = int(torch.randint(int(skull_width[0]), int(skull_width[1]), (), generator=generator,
                                  device=dev))
            s = max(1, int(round(s / spacing)))
            skull = dilate(brain[b : b + 1], s) & (lab == 0)
            lab = torch.where(skull, torch.full_like(lab, skull_label), lab)
            r = r + s
        if extra is not None:
            head = dilate(brain[b : b + 1], r) & (lab == 0)
            lab = torch.where(head, extra[b : b + 1], lab)
        out.append(lab)
    return torch.cat(out)


def head_label_maps(*, batch: int, size, dims: int, spacing: float, n_extra: int, generator,
                    skull_label: int | None = None):
    """:func:`training_label_maps` with a non-brain shell from :func:`add_shell`."""
    labels = training_label_maps(batch=batch, size=size, dims=dims, spacing=spacing,
                                 generator=generator)
    return add_shell(labels, n_extra=n_extra, spacing=spacing, generator=generator,
                     skull_label=skull_label)


def suggested_spacing(size: int, dims: int) -> float:
    """Spacing (mm) at which the brain fits in ``size`` voxels."""
    import math

    return max(1.0, math.ceil(2 * 200 / size) / 2)


SKULL = len(LABEL_NAMES)  # generation label of the skull layer (ct, pet)


class PartialVolume:
    """Mixin for generators of label maps finer than their output grid (``neuro-mri``, ``ct``,
    ``pet`` on ``synthseg-20``'s 1 mm maps): with ``partial_volume`` a sample is synthesized on
    the anatomy's own grid and averaged onto the output grid of ``spacing``: each output
    voxel's intensity is the mean of the fine voxels it covers and its target their majority
    class, as a scanner integrates over a voxel and the ``neuro-contrasts`` test set builds its
    cases.  Without it (the default) the label maps are resampled to ``spacing`` by nearest
    neighbour, every voxel pure tissue.  The class calls :meth:`init_partial_volume`."""

    spacing: float
    label_names: tuple[str, ...]

    def init_partial_volume(self, on: bool, anatomy_spacing: float) -> None:
        self.__dict__["partial_volume"] = bool(on)
        self.__dict__["_fine"] = min(float(anatomy_spacing), float(self.spacing)) if on else float(self.spacing)

    @property
    def synthesis_spacing(self) -> float:
        return self.__dict__.get("_fine", self.spacing)

    def fine_size(self, size) -> tuple[int, ...]:
        """The number of synthesis voxels that cover ``size`` output voxels."""
        return tuple(max(1, round(n * self.spacing / self.synthesis_spacing)) for n in size)

    def to_output(self, image, target):
        """The image averaged over the fine voxels each output voxel covers, the target their
        majority class (as they are where the two grids are one)."""
        import torch.nn.functional as F

        if self.synthesis_spacing == self.spacing:
            return image, target

        size = [max(1, round(n * self.synthesis_spacing / self.spacing)) for n in image.shape[2:]]
        onehot = F.one_hot(target[:, 0], len(self.label_names)).movedim(-1, 1).float()
        target = F.interpolate(onehot, size=size, mode="area").argmax(1, keepdim=True)
        return F.interpolate(image, size=size, mode="area"), target


class SkullHead(PartialVolume):
    """Mixin for brain generators (``ct``, ``pet``) whose generation labels are the tissue
    classes, a skull (label :data:`SKULL`) and ``n_extra`` non-brain labels; the target keeps
    the tissue classes.

    ``anatomy="synthseg-20"`` (default): whole heads of the source's training subjects, their
    labels mapped by :func:`head_class_lut` (brain structures to CSF/GM/WM, bone to the skull,
    every other non-brain label -- scalp, marrow, muscle, eyes, air cavities -- to its own
    extra label); ``"mni152-tissue"``: the template with a skull layer and ``n_extra`` random
    shapes around it.  The class calls :meth:`init_anatomy` and sets ``spacing``."""

    n_extra: int
    spacing: float
    anatomy: str = "synthseg-20"
    suggested_spacing = staticmethod(suggested_spacing)

    @staticmethod
    def head_target_lut(n_extra: int) -> list[int]:
        return list(range(SKULL)) + [0] * (1 + n_extra)

    def init_anatomy(self, anatomy: str, n_extra: int, p_head_slice: float = 0.0) -> int:
        """Resolve the anatomy source; returns the number of extra labels to generate.
        ``p_head_slice``: see :func:`source_label_maps` (``p_head``)."""
        from synthzoo.anatomy import get_source

        source = get_source(anatomy)
        self.__dict__["anatomy"] = anatomy
        self.__dict__["anatomy_spacing"] = float(source.spacing)
        self.__dict__["p_head_slice"] = probability("p_head_slice", p_head_slice)
        if anatomy == "mni152-tissue":
            self.__dict__["_head_lut"] = None
            return int(n_extra)
        lut, extra = head_class_lut(source)
        self.__dict__["_source"] = source
        self.__dict__["_head_lut"] = lut
        return extra

    def extra_physical(self, n_extra: int) -> list[str]:
        """The physical tissue of each of the ``n_extra`` extra labels (after
        :meth:`init_anatomy`; the random shapes of ``mni152-tissue`` count as muscle)."""
        if getattr(self, "_head_lut", None) is None:
            return ["muscle"] * int(n_extra)
        return head_extra_physical(self._source)

    def default_labels(self, *, batch: int = 1, size=64, dims: int = 3, generator):
        """Training anatomy, ``int64 (B, 1, *size)`` (with ``partial_volume``: on the finer
        synthesis grid, :meth:`PartialVolume.fine_size`): random training subjects and crops
        (2D: axial slices), or the MNI152 template (held-out slab excluded) with a skull layer
        and non-brain shapes around it."""
        import torch

        from synthzoo.generators.engine.base import as_size

        size = self.fine_size(as_size(size, dims))
        sp = self.synthesis_spacing
        if getattr(self, "_head_lut", None) is None:
            return head_label_maps(batch=batch, size=size, dims=dims, spacing=sp,
                                   n_extra=self.n_extra, generator=generator, skull_label=SKULL)
        idx = source_label_maps(self._source, batch=batch, size=size, dims=dims,
                                spacing=sp, generator=generator,
                                p_head=self.p_head_slice)
        return torch.as_tensor(self._head_lut, device=idx.device)[idx]


def head_class_lut(source) -> tuple[np.ndarray, int]:
    """Map a whole-head source's label indices to head classes: its ``tissue`` target for brain
    labels (1 CSF, 2 GM, 3 WM), :data:`SKULL` for physical ``bone``, and one extra label
    ``SKULL + 1 ..`` per other non-brain label; returns ``(lut, n_extra)``."""
    _, tissue = source.target("tissue")
    lut = np.zeros(len(tissue), np.int64)
    k = SKULL + 1
    for i, (t, p) in enumerate(zip(tissue, source.physical)):
        if t > 0:
            lut[i] = t
        elif p == "bone":
            lut[i] = SKULL
        elif source.label_values[i] != 0:
            lut[i] = k
            k += 1
    return lut, k - SKULL - 1


def head_extra_physical(source) -> list[str]:
    """The physical tissue of each extra label of :func:`head_class_lut`, in label order."""
    _, tissue = source.target("tissue")
    return [p for t, p, v in zip(tissue, source.physical, source.label_values)
            if t == 0 and p != "bone" and v != 0]


# --------------------------------------------------------------------------- anatomy sources
def _resampled(source, subject: str, spacing: float):
    """A training subject's label indices as a CPU ``uint8`` tensor at ``spacing`` mm (nearest)."""
    import torch
    import torch.nn.functional as F

    key = (source.name, subject, float(spacing))
    if key not in _RESAMPLED:
        vol = torch.from_numpy(np.array(source.training_volume(subject)))  # a writable copy
        if spacing != source.spacing:
            shape = [max(1, round(n * source.spacing / spacing)) for n in vol.shape]
            vol = F.interpolate(vol[None, None].float(), size=shape, mode="nearest")[0, 0].to(torch.uint8)
        if len(_RESAMPLED) >= 64:
            _RESAMPLED.pop(next(iter(_RESAMPLED)))
        _RESAMPLED[key] = vol
    return _RESAMPLED[key]


_RESAMPLED: dict = {}


def _crop(vol, size, generator):
    """A random window of ``size`` from ``vol`` (zero padded, at a random place, where ``vol``
    is smaller)."""
    import torch

    return _window(vol, size, lambda slack: int(torch.randint(slack + 1, (), generator=generator,
                                                              device=generator.device)))


def probability(name: str, p: float) -> float:
    """Option ``name`` (e.g. ``p_head_slice``, ``p_stripped``) checked: a probability."""
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {p}")
    return p


def source_label_maps(source, *, batch: int, size, dims: int, spacing: float, generator,
                      min_brain: float = 0.1, p_head: float = 0.0, min_head: float = 0.01):
    """Label indices ``int64 (B, 1, *size)`` from random *training* subjects of an anatomy
    source (:meth:`~synthzoo.anatomy.base.AnatomySource.training_volume`, so held-out subjects
    are never read), resampled to ``spacing`` mm, randomly cropped/padded to ``size``.
    ``dims=2`` gives axial slices whose brain area is at least ``min_brain`` of the subject's
    largest; with probability ``p_head`` instead any slice whose head area (non-zero labels) is
    at least ``min_head`` of the largest -- neck, face, skull base and vertex included, so that
    a 2D network applied to every slice of a whole-head volume has seen slices without brain."""
    import torch

    p_head = probability("p_head_slice", p_head)
    subjects = source.train_subjects
    _, brain_lut = source.target("brain")
    brain_lut = torch.as_tensor(brain_lut, dtype=torch.bool)

    def draw(n: int) -> int:
        return int(torch.randint(n, (), generator=generator, device=generator.device))

    out = []
    for _ in range(batch):
        subj = subjects[draw(len(subjects))]
        vol = _resampled(source, subj, spacing)
        if dims == 2:
            key = (source.name, subj, float(spacing))
            if key not in _AREAS:
                _AREAS[key] = (brain_lut[vol.long()].sum((0, 1)).float(), (vol > 0).sum((0, 1)).float())
            brain_area, head_area = _AREAS[key]
            head = p_head > 0 and float(torch.rand((), generator=generator, device=generator.device)) < p_head
            area, least = (head_area, min_head) if head else (brain_area, min_brain)
            usable = torch.nonzero(area >= least * area.max()).flatten()
            vol = vol[:, :, int(usable[draw(len(usable))])]
        out.append(_crop(vol, size, generator).long())
    return torch.stack(out)[:, None].to(generator.device)


_AREAS: dict = {}
