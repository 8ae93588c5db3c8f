"""Inference with a pretrained model: card normalisation, resampling to the card's spacing
and back, sliding-window inference with Gaussian blending (:mod:`synthzoo.zoo.inference`:
windows in batches, one slab in memory at a time), 2D and 3D.  A 2D model applied to a 3D
volume segments it slice by slice along the last axis, several slices at a time.

An image finer than the model's spacing is low-pass filtered before it is sampled down
(:func:`_resize` with ``antialias``): a B-mode scan at a quarter of the model's pixel size
sampled bilinearly keeps one speckle sample in four, white noise the network never saw.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from synthzoo.zoo.card import WeightCard
from synthzoo.zoo.inference import (OVERLAP, FlipAveraged, Progress, gaussian_importance,  # noqa: F401 - re-exported
                                     logits, plan, resolve_precision, sliding_window)


def normalise(image: np.ndarray, how: str) -> np.ndarray:
    """Intensity normalisation named by a card (``minmax``, ``percentile``, ``zscore``, ``none``)."""
    x = image.astype(np.float32)
    if how == "none":
        return x
    if how == "zscore":
        return (x - x.mean()) / max(float(x.std()), 1e-8)
    lo, hi = (np.percentile(x, (0.5, 99.5)) if how == "percentile" else (x.min(), x.max()))
    lo, hi = float(lo), float(hi)  # NumPy's percentiles are float64; the result stays float32
    return np.clip((x - lo) / max(hi - lo, 1e-8), 0.0, 1.0)


#: Version of the inference procedure (normalisation, resampling, windows); part of a zoo
#: model's identity in the benchmark, so records of an older procedure are never reused.
#: 2: images finer than the model's spacing are low-pass filtered before sampling down, and
#: normalised after resampling.  3: mirror test-time augmentation along the axes the model's
#: generator flipped in training (:func:`tta_axes`).
INFERENCE_VERSION = 3


def tta_axes(card: WeightCard) -> tuple[tuple[int, ...], list[int] | None]:
    """The spatial axes a model is mirrored along at inference, and the class permutation of a
    mirror (``None``: none): the axes its training generator flipped at random
    (``RandomSpatial`` with ``flip`` > 0 along ``flip_axis``), which the network was trained to
    be equivariant to -- the left-right axis of the neuro models, one in-plane axis of the
    micro-CT and ultrasound models.  A generator that swaps labels when it flips (``flip_lut``)
    gives the swap of the targets; a swap that does not map targets to targets (a generation
    label pair of different targets) gives no axes.  A card without a generator config: none."""
    gen = card.generator if isinstance(card.generator, dict) else {}
    lut = gen.get("target_lut")
    axes: list[int] = []
    perm: list[int] | None = None
    for st in gen.get("steps", []):
        if st.get("step") != "RandomSpatial" or not float(st.get("flip") or 0) > 0:
            continue
        axis = int(st.get("flip_axis", 0))
        if not 0 <= axis < card.dims:
            return (), None
        axes.append(axis)
        if st.get("flip_lut") is not None:
            flut = [int(v) for v in st["flip_lut"]]
            tl = [int(v) for v in lut] if lut is not None else list(range(len(flut)))
            mapping: dict[int, int] = {}
            for g, h in enumerate(flut):
                if g < len(tl) and h < len(tl):
                    if mapping.setdefault(tl[g], tl[h]) != tl[h]:
                        return (), None
            perm = [mapping.get(t, t) for t in range(card.n_classes)]
            if sorted(perm) != list(range(card.n_classes)):
                return (), None
    return tuple(sorted(set(axes))), perm


def _resize(x: torch.Tensor, size: Sequence[int], *, antialias: bool = False) -> torch.Tensor:
    """``x (B, C, *spatial)`` resampled (bi/trilinear) to ``size``.  With ``antialias``, axes
    that shrink by a factor f > 1 are low-pass filtered first: in 2D torch's antialiased
    bilinear filter (a triangle f input pixels wide), in 3D a Gaussian of sigma (f - 1) / 2
    voxels (scikit-image's ``rescale`` rule; :func:`~synthzoo.generators.engine.intensity.blur`)."""
    size = tuple(int(s) for s in size)
    if tuple(x.shape[2:]) == size:
        return x
    shrink = [n / s for n, s in zip(x.shape[2:], size)]
    if len(size) == 2:
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False,
                             antialias=antialias and max(shrink) > 1)
    if antialias and max(shrink) > 1:
        from synthzoo.generators.engine.intensity import blur

        sigma = torch.tensor([[max(0.0, (f - 1) / 2) for f in shrink]], dtype=x.dtype, device=x.device)
        x = blur(x, sigma.expand(x.shape[0], -1))
    return F.interpolate(x, size=size, mode="trilinear", align_corners=False)


@torch.no_grad()
def whole(model: torch.nn.Module, image: torch.Tensor, *, patch: Sequence[int] = (), divisor: int = 1,
          precision: str = "float32") -> torch.Tensor:
    """Class probabilities ``(B, K, *spatial)`` of ``image (B, C, *spatial)`` in one pass of a
    fully convolutional ``model`` run in ``precision`` (:func:`~synthzoo.zoo.inference.logits`;
    zero padded to at least ``patch`` and to a multiple of ``divisor``, then cropped)."""
    spatial = tuple(image.shape[2:])
    patch = tuple(patch) or spatial
    padded = tuple(math.ceil(max(s, p) / divisor) * divisor for s, p in zip(spatial, patch))
    pad: list[int] = []
    for s, t in reversed(list(zip(spatial, padded))):
        pad += [(t - s) // 2, t - s - (t - s) // 2]
    prob = logits(model, F.pad(image, pad), precision).softmax(1)
    crop = tuple(slice((t - s) // 2, (t - s) // 2 + s) for s, t in zip(spatial, padded))
    return prob[(slice(None), slice(None)) + crop]


#: ``predict_array(mode="auto")`` segments a 2D slice in one pass when its (resampled) area is
#: at most this many patches (bounded memory; fewer voxels than overlapping windows);
#: larger images use sliding windows
WHOLE_MAX_PATCHES = 6
SLICE_BATCH = 8  # slices of a volume segmented together by a 2D model


@torch.no_grad()
def predict_array(model: torch.nn.Module, card: WeightCard, image: np.ndarray, *,
                  spacing: Sequence[float] | None = None, device: str = "cpu",
                  overlap: float = OVERLAP, mode: str = "auto",
                  progress: Progress | None = None, precision: str = "auto",
                  tta: bool = True) -> np.ndarray:
    """Probabilities ``float32 (K, *image.shape)`` for a 2D or 3D ``image``.

    ``spacing`` (mm per axis) is the image's voxel size; ``None`` assumes the card's spacing
    (no resampling).  The image is resampled to the card's spacing (low-pass filtered along
    axes where it is finer), normalised there as the card says, segmented, and the
    probabilities resampled back.  ``mode``: ``"sliding"``
    (Gaussian-blended windows of the card's patch size, :mod:`synthzoo.zoo.inference`),
    ``"whole"`` (one pass per image or slice) or ``"auto"`` (whole for 2D slices up to
    ``WHOLE_MAX_PATCHES`` patches in area, sliding otherwise).  A 2D model on a volume segments
    ``SLICE_BATCH`` slices at a time.  ``progress(done, total)`` is called as windows (sliding)
    or slices (whole) are done.  ``precision``: what the network runs in
    (:func:`~synthzoo.zoo.inference.resolve_precision`; ``auto``: bfloat16 where the device
    computes it natively, else float32); the probabilities are float32 either way.  ``tta``:
    average the network's probabilities over the image and its mirrors along :func:`tta_axes`
    (:class:`~synthzoo.zoo.inference.FlipAveraged`; the network runs ``2 ** len(axes)`` times)."""
    if mode not in ("auto", "sliding", "whole"):
        raise ValueError(f"mode {mode!r}: valid: auto, sliding, whole")
    if image.ndim not in (2, 3):
        raise ValueError(f"expected a 2D or 3D image, got shape {image.shape}")
    if image.ndim < card.dims:
        raise ValueError(f"model {card.name!r} is {card.dims}D; got a {image.ndim}D image")
    dev = torch.device(device)
    precision = resolve_precision(precision, dev)
    model = model.to(dev).eval()
    axes, perm = tta_axes(card) if tta else ((), None)
    if axes:
        model = FlipAveraged(model, axes, perm)
    sp = tuple(float(s) for s in spacing) if spacing is not None else (card.spacing,) * image.ndim
    if len(sp) != image.ndim or not all(math.isfinite(s) and s > 0 for s in sp):
        raise ValueError(f"spacing {sp}: needs {image.ndim} finite entries > 0")
    x = torch.from_numpy(np.array(image, np.float32))
    per_slice = card.dims == 2 and image.ndim == 3
    if per_slice:
        slices = x.movedim(-1, 0)[:, None]  # (Z, 1, X, Y)
        sp2 = sp[:2]
    else:
        slices = x[None, None]
        sp2 = sp
    size = slices.shape[2:]
    target = [max(1, round(n * s / card.spacing)) for n, s in zip(size, sp2)]
    div = getattr(model, "divisor", lambda: 1)()
    if mode == "auto":
        area = math.prod(target) / math.prod(card.patch_size)
        mode = "whole" if card.dims == 2 and area <= WHOLE_MAX_PATCHES else "sliding"
    n = slices.shape[0]
    per_batch = plan(target, card.patch_size, overlap=overlap, divisor=div).n_windows if mode == "sliding" else 0
    total = per_batch * math.ceil(n / SLICE_BATCH) if mode == "sliding" else n
    # the image as if acquired at the card's spacing, normalised there (a finer image's
    # intensity spread shrinks once filtered: its percentiles would not be the model's)
    grid = np.empty((n, 1, *target), np.float32)
    for k in range(0, n, SLICE_BATCH):
        grid[k : k + SLICE_BATCH] = _resize(slices[k : k + SLICE_BATCH], target, antialias=True).numpy()
    grid = torch.from_numpy(normalise(grid, card.normalisation))
    out = np.empty((card.n_classes, *image.shape), np.float32)
    for k in range(0, n, SLICE_BATCH):
        xi = grid[k : k + SLICE_BATCH].to(dev)
        if mode == "whole":
            p = whole(model, xi, patch=card.patch_size, divisor=div, precision=precision)
        else:
            done = (k // SLICE_BATCH) * per_batch
            step = None if progress is None else (lambda d, _t, done=done: progress(done + d, total))
            p = sliding_window(model, xi, card.patch_size, n_classes=card.n_classes, overlap=overlap,
                               divisor=div, progress=step, precision=precision)
        p = _resize(p, size)
        p = (p / p.sum(1, keepdim=True).clamp_min(1e-8)).cpu()
        if per_slice:
            out[..., k : k + p.shape[0]] = p.movedim(0, -1).numpy()  # (K, X, Y, slices)
        else:
            out[:] = p[0].numpy()
        if mode == "whole" and progress is not None:
            progress(min(k + SLICE_BATCH, n), total)
    return out


DEVICES = "cpu, cuda, cuda:N or auto"


def resolve_device(device: str) -> str:
    """``device`` checked (``auto``: CUDA if available, else CPU); raises ``ValueError``
    with one line for an unknown or unavailable device."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise ValueError(f"--device {device!r}: unknown device; valid: {DEVICES}") from None
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"--device {device!r}: not supported; valid: {DEVICES}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("--device cuda asked for but no CUDA device is available; use --device cpu")
        n = torch.cuda.device_count()
        if dev.index is not None and dev.index >= n:
            raise ValueError(f"--device {device!r}: only {n} CUDA device(s); valid: cuda:0 to cuda:{n - 1}")
    return device


def plan_grid(card: WeightCard, shape: Sequence[int], spacing: Sequence[float]) -> tuple[int, ...]:
    """The grid an image of ``shape`` at ``spacing`` (mm) is segmented on: resampled to the
    card's spacing (per slice for a 2D model on a 3D image)."""
    size, sp = (shape[:2], spacing[:2]) if card.dims == 2 and len(shape) == 3 else (shape, spacing)
    return tuple(max(1, round(n * s / card.spacing)) for n, s in zip(size, sp))


def estimate_bytes(card: WeightCard, shape: Sequence[int], spacing: Sequence[float]) -> int:
    """Peak memory of :func:`predict_array` (bytes, an upper estimate): the image and its
    ``K``-class probabilities at full size, the image resampled to the card's spacing (every
    slice), plus one resampled slice or volume with its padded sum of weighted windows and a
    batch of windows through the network."""
    k = card.n_classes
    n = math.prod(int(s) for s in shape)
    grid = plan_grid(card, shape, spacing)
    padded = math.prod(max(g, p) for g, p in zip(grid, card.patch_size))
    window = math.prod(card.patch_size)
    slices = int(shape[-1]) if card.dims == 2 and len(shape) == 3 else 1
    resampled = 2 * 4 * slices * math.prod(grid)  # and its normalised copy
    return 4 * n * (3 + 2 * k) + 8 * n + resampled + 4 * padded * (4 + 2 * k) + 4 * 4 * window * 128


def check_spacing(card: WeightCard, shape: Sequence[int], spacing: Sequence[float], where: str) -> None:
    """Raise ``ValueError`` unless ``spacing`` is finite and positive and resamples ``shape``
    to a grid that is neither collapsed (fewer than 4 voxels on an axis that had more) nor
    larger than the available memory."""
    from synthzoo._limits import check_memory, positive_finite

    if len(spacing) != len(shape):
        raise ValueError(f"{where}: voxel size {tuple(spacing)} has {len(spacing)} entries for a "
                         f"{len(shape)}D image; pass --spacing")
    for s in spacing:
        positive_finite(s, f"{where}: voxel size")
    grid = plan_grid(card, shape, spacing)
    sp = ", ".join(f"{s:g}" for s in spacing)
    u = card.spacing_unit
    for n, g in zip(shape, grid):
        if g < min(4, n):
            raise ValueError(f"{where}: voxel size ({sp}) {u} resamples the {'x'.join(map(str, shape))} image to "
                             f"{'x'.join(map(str, grid))} voxels at the model's {card.spacing:g} {u}; "
                             f"pass the image's real voxel size with --spacing")
    check_memory(estimate_bytes(card, shape, spacing),
                 f"{where}: segmenting the {'x'.join(map(str, shape))} image at voxel size ({sp}) {u} "
                 f"(resampled to {'x'.join(map(str, grid))} at the model's {card.spacing:g} {u})",
                 hint="crop the image or check --spacing")


def pages_last(data: np.ndarray, spacing: Sequence[float]):
    """A ``(z, y, x)`` stack with z put last, so that a 2D model (:func:`predict_array` slices
    along the last axis) segments its yx planes; returns ``(data, spacing, back)`` where
    ``back`` moves the last axis of an array on that grid back in front of y and x (a label map
    ``(y, x, z)`` or probabilities ``(K, y, x, z)``)."""
    sp = tuple(spacing)
    return (np.moveaxis(data, 0, -1), (*sp[1:], sp[0]),
            lambda a: np.ascontiguousarray(np.moveaxis(a, -1, -3)))


def to_canonical(img, spacing: Sequence[float], card: WeightCard):
    """A 3D volume for a 2D model, arranged so that :func:`predict_array` (which slices along
    the last axis) takes the slices the model was trained on: a NIfTI volume is reoriented to
    RAS+ by its affine (axial slices, the last RAS axis), whatever the storage order; a stack
    stored ``(z, y, x)`` (``meta["axes"] == "zyx"``: TIFF pages, a Zarr with that ``axes``
    attribute) has its z axis put last (the yx planes).  Returns ``(data, spacing, back)``
    where ``back`` maps an array on that grid back to the input's voxel order.  Other inputs
    pass through unchanged."""
    if img.data.ndim == 3 and card.dims == 2 and img.meta.get("axes") == "zyx":
        return pages_last(img.data, spacing)
    affine = img.meta.get("affine") if img.format == "nifti" else None
    if affine is None or img.data.ndim != 3 or card.dims != 2:
        return img.data, tuple(spacing), lambda a: a
    from nibabel import orientations as no

    ornt = no.io_orientation(affine)
    ras = no.axcodes2ornt("RAS")
    fwd, inv = no.ornt_transform(ornt, ras), no.ornt_transform(ras, ornt)
    sp = [0.0] * 3
    for axis, (new, _) in enumerate(fwd):
        sp[int(new)] = float(spacing[axis])
    data = np.ascontiguousarray(no.apply_orientation(img.data, fwd))
    return data, tuple(sp), lambda a: np.ascontiguousarray(no.apply_orientation(a, inv))


def predict_file(model_name: str, input: str | Path, output: str | Path, *,
                 probabilities: str | Path | None = None, device: str = "cpu",
                 overlap: float = OVERLAP, offline: bool = False,
                 spacing: float | None = None, overwrite: bool = False,
                 progress: Progress | None = None, instances: bool = False,
                 precision: str = "auto", tta: bool = True,
                 notice: Callable[[str], None] | None = None,
                 object_size: float | str | None = None) -> list[Path]:
    """Segment the image file ``input`` with pretrained ``model_name``; write the label map
    to ``output`` (input's geometry) and optionally the probabilities.  With ``instances``,
    ``output`` holds object ids instead (0 background, 1..N; touching objects apart when the
    model has a ``boundary`` class: :func:`synthzoo.zoo.instances.instances_from_probabilities`).

    ``spacing`` (isotropic, in the card's ``spacing_unit``: mm, or um for microscopy models)
    overrides the file's voxel size; a file's own voxel size is converted to the card's unit
    when the file says its unit (NIfTI ``xyzt_units``, a Zarr ``spacing_unit`` attribute, DICOM
    in mm) and taken as given when it does not; files without one (PNG, TIFF, Zarr without a
    ``spacing`` attribute) are taken to be at the card's spacing, which ``notice`` (a callable
    taking one line, e.g. the CLI's stderr) is told once the outputs are written, so that a
    wrong guess is not silent.

    A nuclei model (its generator drew objects of a size: :mod:`synthzoo.zoo.scale`) takes
    the pixel size from the objects instead: ``object_size`` is their diameter in the image's
    pixels, or ``"auto"`` to measure it (:func:`~synthzoo.zoo.scale.estimate_object_diameter`),
    and the image is segmented at the pixel size where they read as the nuclei the model was
    trained on.  A file without a pixel size is measured so by default (falling back to the
    card's spacing when no objects are found); ``notice`` is told the measurement.

    Everything is checked before inference (device, spacing, memory, and every output under
    the policy of :mod:`synthzoo._outputs`: never the input, never a folder that is not a
    previous output, existing outputs replaced only with ``overwrite``); both outputs are
    written to temporary names and renamed together once both are complete.
    ``progress(done, total)`` follows the inference and ``tta`` is its mirror averaging (see
    :func:`predict_array`)."""
    from synthzoo._limits import positive_finite
    from synthzoo._outputs import check_outputs, write_outputs
    from synthzoo.zoo.imageio import (ImageFileError, check_writable, detect_format, output_target,
                                      read_image, spacing_in, writer)
    from synthzoo.zoo.models import create_model, get_card
    from synthzoo.zoo.scale import trained_object_diameter

    device = resolve_device(device)
    precision = resolve_precision(precision, device)
    if not 0 <= overlap < 1:
        raise ValueError(f"--overlap {overlap}: must be in [0, 1)")
    if spacing is not None:
        spacing = positive_finite(spacing, "--spacing")
    card = get_card(model_name)
    sized = trained_object_diameter(card) is not None  # a nuclei model: the pixel size can come from the nuclei
    object_size = _object_size_option(object_size, spacing, card, sized)
    if instances:  # before anything is read: a model without one object label cannot
        from synthzoo.zoo.instances import InstanceError, instances_from_probabilities, object_classes

        try:
            object_classes(card.label_names)
        except InstanceError as exc:
            raise InstanceError(f"--instances with {model_name}: {exc}") from None
    input = Path(input)
    if not input.exists():
        raise ImageFileError(f"{input}: no such file")
    in_fmt = detect_format(input)
    targets = [output_target(output, in_fmt, kind="labels", option="OUTPUT")]
    if probabilities is not None:
        targets.append(output_target(probabilities, in_fmt, kind="probabilities", option="--probabilities"))
    check_outputs(targets, inputs=[input], overwrite=overwrite)
    img = read_image(input)
    shape = img.data.shape
    check_writable(output, shape, img)
    if probabilities is not None:
        check_writable(probabilities, (card.n_classes, *shape), img, kind="probabilities")
    assumed = ""
    if spacing is not None:
        sp, where = (spacing,) * img.data.ndim, f"--spacing {spacing:g}"
    elif img.spacing is not None:  # in the model's unit (a NIfTI header in mm for a um model)
        sp, where = spacing_in(img.spacing, img.spacing_unit, card.spacing_unit), f"{input}"
        if img.spacing_unit not in (None, card.spacing_unit):
            where += f" (voxel size in {img.spacing_unit}, as {card.spacing_unit}: {', '.join(f'{v:g}' for v in sp)})"
    else:
        sp, where = (card.spacing,) * img.data.ndim, f"{input}"
        assumed = (f"{input}: the file gives no voxel size; taken as the model's {card.spacing:g} "
                   f"{card.spacing_unit} (give --spacing if the image's is another)")
    data, sp, back = to_canonical(img, sp, card)  # the grid is planned on the slices segmented
    if object_size is not None or (spacing is None and img.spacing is None and sized):
        sp, where, assumed = _object_spacing(card, data, sp, object_size, input, where, assumed,
                                             file_spacing=img.spacing is not None)
    check_spacing(card, data.shape, sp, where)
    model = create_model(model_name, pretrained=True, offline=offline)
    prob = predict_array(model, card, data, spacing=sp, device=device, overlap=overlap,
                         progress=progress, precision=precision, tta=tta)
    if data is not img.data:  # reoriented: back to the input's voxel order
        prob = np.stack([back(p) for p in prob])
    labels = instances_from_probabilities(prob, card.label_names) if instances else prob.argmax(0)
    writes = {targets[0].path: writer(output, labels, img)}
    if probabilities is not None:
        writes[targets[1].path] = writer(probabilities, prob, img, kind="probabilities")
    written = write_outputs(writes)
    if assumed and notice is not None:  # after the outputs: a refused run stays one error line
        notice(assumed)
    return written


def _object_size_option(object_size: float | str | None, spacing: float | None,
                        card: WeightCard, sized: bool) -> float | str | None:
    """``--object-size`` checked before anything is read: ``auto`` or a diameter in pixels > 0,
    not with ``--spacing``, for a model trained on objects of a size."""
    from synthzoo.zoo.scale import ObjectSizeError

    if object_size is None:
        return None
    if spacing is not None:
        raise ValueError("--spacing and --object-size both set the pixel size; give one")
    if not sized:
        raise ObjectSizeError(f"--object-size with {card.name}: the model was not trained on objects of "
                              "a size (its generator has no object_size); it applies to nuclei models")
    if isinstance(object_size, str) and object_size.strip().lower() == "auto":
        return "auto"
    try:
        value = float(object_size)
    except (TypeError, ValueError):
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"--object-size {object_size!r}: give 'auto' or the objects' diameter in pixels (> 0)")
    return value


def _object_spacing(card: WeightCard, data: np.ndarray, sp: Sequence[float], object_size: float | str | None,
                    input: Path, where: str, assumed: str, *, file_spacing: bool):
    """``(spacing, where, notice)`` for ``data`` from its objects' size: given (pixels) or
    measured in its planes (a 2D model's volume is canonical, planes along the last axis; a 3D
    model's stack is ``(z, y, x)``).  In-plane pixels get the matched size; the third axis keeps
    its ratio to them."""
    from synthzoo.zoo.scale import ObjectSizeError, estimate_object_diameter, matched_spacing

    u = card.spacing_unit
    stack_first = data.ndim == 3 and card.dims == 3
    if isinstance(object_size, float):
        d, said = object_size, f"--object-size {object_size:g}"
    else:
        try:
            d = estimate_object_diameter(np.moveaxis(data, 0, -1) if stack_first else data, where=str(input))
        except ObjectSizeError as exc:
            if object_size == "auto":
                raise ObjectSizeError(f"{exc}; give --spacing or --object-size") from None
            return sp, where, f"{assumed}; {exc}"
        said = f"{input} (objects measured at {d:.1f} pixels across)"
    s = matched_spacing(card, d)
    plane = [1, 2] if stack_first else list(range(min(2, len(sp))))
    ratio = s / (sum(sp[i] for i in plane) / len(plane))
    new = tuple(s if i in plane else v * ratio for i, v in enumerate(sp))
    if isinstance(object_size, float):
        return new, said, ""
    why = "the file gives no pixel size" if not file_spacing else f"the file's is {sp[0]:g} {u}"
    line = (f"{input}: objects measured at {d:.1f} pixels across; segmented at {s:.3g} {u} per pixel, "
            f"where they match the nuclei the model was trained on ({why}; give --spacing or "
            "--object-size to set it)")
    return new, said, line
