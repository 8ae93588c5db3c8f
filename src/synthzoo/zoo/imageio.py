"""Reading images and writing label maps in the input's format and geometry.

Formats (by suffix): NIfTI (``.nii``, ``.nii.gz``: affine and header kept), TIFF (``.tif``,
``.tiff``), PNG (grey or RGB; RGB is converted to grey with the ITU-R 601 luma weights),
DICOM (``.dcm``, or any file with the ``DICM`` preamble: one 2D slice, header kept) and Zarr
(``.zarr`` or a folder: an array, or a group with an ``image`` array; ``spacing`` attribute
kept); JPEG and BMP are read (as PNG) but never written: a label map of one is named ``.png``
or ``.tif``.  An :class:`Image` holds ``float32`` data with spatial axes only and the metadata a
writer needs to write a label map with the same geometry.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from synthzoo.zoo.card import UNIT_UM

FORMATS = ("nifti", "tiff", "png", "dicom", "zarr", "jpeg", "bmp")
#: formats read but not written (lossy, or no place for labels): outputs need a name of their own
READ_ONLY = {"jpeg": "JPEG (lossy)", "bmp": "BMP"}


class ImageFileError(ValueError):
    """An image that cannot be read or a label map that cannot be written; names the file."""


@dataclass
class Image:
    data: np.ndarray  # float32, spatial axes only (2D or 3D)
    format: str
    spacing: tuple[float, ...] | None = None  # per axis, in spacing_unit; None when the file has none
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    spacing_unit: str | None = None  # "mm" or "um" as the file says; None: the file does not say


def spacing_in(spacing: Sequence[float], unit: str | None, target: str) -> tuple[float, ...]:
    """``spacing`` given in ``unit`` expressed in ``target`` (``"mm"`` or ``"um"``); a spacing of
    unknown unit (``None``) is taken to be in ``target`` already."""
    if unit is None or unit == target:
        return tuple(float(s) for s in spacing)
    if unit not in UNIT_UM or target not in UNIT_UM:
        raise ValueError(f"unknown spacing unit {unit if unit not in UNIT_UM else target!r}; valid: "
                         f"{', '.join(UNIT_UM)}")
    f = UNIT_UM[unit] / UNIT_UM[target]
    return tuple(float(s) * f for s in spacing)


def detect_format(path: str | Path) -> str:
    path = Path(path)
    name = path.name.lower()
    if name.endswith((".nii", ".nii.gz")):
        return "nifti"
    if name.endswith((".tif", ".tiff")):
        return "tiff"
    if name.endswith(".png"):
        return "png"
    if name.endswith((".jpg", ".jpeg")):
        return "jpeg"
    if name.endswith(".bmp"):
        return "bmp"
    if name.endswith(".zarr") or path.is_dir():
        return "zarr"
    if name.endswith((".dcm", ".dicom")):
        return "dicom"
    if path.is_file():
        with open(path, "rb") as f:
            head = f.read(132)
        if head[128:132] == b"DICM":
            return "dicom"
    raise ImageFileError(f"{path}: unknown image format; use .nii, .nii.gz, .tif, .tiff, .png, "
                         ".jpg, .bmp, .dcm or .zarr")


def read_image(path: str | Path) -> Image:
    """Read ``path``; raises :class:`ImageFileError` naming the file if it cannot."""
    path = Path(path)
    if not path.exists():
        raise ImageFileError(f"{path}: no such file")
    fmt = detect_format(path)
    try:
        img = _READERS[fmt](path)
    except ImageFileError:
        raise
    except Exception as exc:
        raise ImageFileError(f"{path}: cannot read as {fmt} ({type(exc).__name__}: {exc})") from exc
    if img.data.ndim not in (2, 3) or min(img.data.shape) < 1:
        raise ImageFileError(f"{path}: expected a 2D or 3D image, got shape {img.data.shape}")
    if not np.all(np.isfinite(img.data)):
        raise ImageFileError(f"{path}: image holds NaN or infinite values")
    img.path = path
    return img


def _read_nifti(path: Path) -> Image:
    import nibabel as nib

    nii = nib.load(str(path))
    data = np.asarray(nii.dataobj, dtype=np.float32)
    shape = data.shape
    data = data.reshape(shape[:3]) if data.ndim > 3 and all(s == 1 for s in shape[3:]) else data
    spacing = tuple(float(z) for z in nii.header.get_zooms()[: data.ndim])
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[..., 0]
        spacing = spacing[:2]
    # the header's unit of the zooms (xyzt_units): metres are given in mm; "unknown" stays None
    unit = nii.header.get_xyzt_units()[0]
    if unit == "meter":
        spacing, unit = tuple(s * 1000.0 for s in spacing), "mm"
    unit = {"mm": "mm", "micron": "um"}.get(unit)
    return Image(data, "nifti", spacing, {"affine": nii.affine, "header": nii.header, "shape": shape},
                 spacing_unit=unit)


def _squeeze(arr: np.ndarray) -> np.ndarray:
    """Drop length-1 axes while more than two are left (a 1x1 image stays 2D, as in PNG)."""
    while arr.ndim > 2 and 1 in arr.shape:
        arr = np.squeeze(arr, axis=arr.shape.index(1))
    return arr


#: length units of ImageJ and OME-TIFF metadata, in micrometres
_TIFF_UM = {"micron": 1.0, "microns": 1.0, "um": 1.0, "\u00b5m": 1.0, "\u03bcm": 1.0, "micrometer": 1.0,
            "nm": 1e-3, "nanometer": 1e-3, "mm": 1e3, "millimeter": 1e3, "cm": 1e4, "centimeter": 1e4,
            "m": 1e6, "meter": 1e6}


def _tiff_spacing(tif: Any, axes: str) -> dict[str, float]:
    """Voxel size in micrometres per spatial axis letter (``X``, ``Y``, ``Z``), from OME-XML
    (``PhysicalSize*``, micrometres unless a unit is given) or ImageJ metadata (resolution tags
    in pixels per ``unit``, ``spacing`` between slices); empty when neither gives a length.
    Plain resolution tags (dots per inch of a scanner or drawing program) are not a voxel size
    and are ignored."""
    sizes: dict[str, float] = {}
    if tif.is_ome and tif.ome_metadata:
        import xml.etree.ElementTree as ET

        pixels = next((e for e in ET.fromstring(tif.ome_metadata).iter() if e.tag.endswith("Pixels")), None)
        for a in "XYZ" if pixels is not None else "":
            v, f = pixels.get(f"PhysicalSize{a}"), _TIFF_UM.get(pixels.get(f"PhysicalSize{a}Unit", "um").lower())
            if v is not None and f is not None:
                sizes[a] = float(v) * f
        return sizes
    meta = tif.imagej_metadata if tif.is_imagej else None
    f = _TIFF_UM.get(str((meta or {}).get("unit", "")).lower())
    if f is None:
        return sizes
    for a, tag in (("X", "XResolution"), ("Y", "YResolution")):
        res = tif.pages[0].tags.get(tag)
        if res is not None and res.value[0] > 0 and res.value[1] > 0:
            sizes[a] = res.value[1] / res.value[0] * f
    if "Z" in axes and meta.get("spacing"):
        sizes["Z"] = float(meta["spacing"]) * f
    return sizes


def _read_tiff(path: Path) -> Image:
    """A TIFF by its series' axes (tifffile's letters): pages stacked along the first spatial
    axis (``Z``, or an unnamed page axis ``Q``/``I``), held as ``(z, y, x)`` with
    ``meta["axes"] = "zyx"`` so that a 2D model segments every page; RGB(A) samples made grey
    (ITU-R 601 luma, as PNG); several channels or time points refused (one line naming the
    file); the voxel size read from ImageJ or OME metadata when they give a length unit."""
    import tifffile

    with tifffile.TiffFile(str(path)) as tif:
        series = tif.series[0]
        arr = series.asarray()
        axes = series.axes.upper()
        sizes = _tiff_spacing(tif, axes)
    if "S" in axes:  # samples per pixel: RGB(A) -> grey; one sample -> dropped
        arr = np.moveaxis(arr, axes.index("S"), -1)
        axes = axes.replace("S", "") + "S"
        n = arr.shape[-1]
        if n not in (1, 3, 4):
            raise ImageFileError(f"{path}: {n} samples per pixel (axes {series.axes}); expected grey, RGB or RGBA")
        arr, axes = (_to_grey(arr) if n > 1 else arr[..., 0]), axes[:-1]
    for a, what in (("C", "channels"), ("T", "time points")):
        if a in axes and arr.shape[axes.index(a)] > 1:
            raise ImageFileError(f"{path}: {arr.shape[axes.index(a)]} {what} (axes {series.axes}, shape "
                                 f"{tuple(series.shape)}); save the one channel and time point to segment")
    data = _squeeze(arr).astype(np.float32)
    if data.ndim == 2:
        xy = ("Y" in sizes and "X" in sizes)
        return Image(data, "tiff", (sizes["Y"], sizes["X"]) if xy else None, {"axes": "yx"},
                     spacing_unit="um" if xy else None)
    if data.ndim != 3 or "X" not in sizes or "Y" not in sizes:
        return Image(data, "tiff", None, {"axes": "zyx"} if data.ndim == 3 else {})
    # a stack without its slice spacing: slices taken to be as thick as pixels are wide
    return Image(data, "tiff", (sizes.get("Z", sizes["X"]), sizes["Y"], sizes["X"]), {"axes": "zyx"},
                 spacing_unit="um")


def _to_grey(arr: np.ndarray) -> np.ndarray:
    if arr.ndim >= 3 and arr.shape[-1] in (3, 4):
        return arr[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return arr.astype(np.float32)


def _read_png(path: Path, fmt: str = "png") -> Image:
    """PNG (and JPEG, BMP: any file Pillow reads) as grey ``float32``."""
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        mode = im.mode
        arr = np.asarray(im.convert("RGB") if mode in ("P", "LA", "RGBA", "CMYK") else im)
    return Image(_to_grey(arr), fmt, None, {"mode": mode})


def _read_dicom(path: Path) -> Image:
    import pydicom

    ds = pydicom.dcmread(str(path))
    arr = ds.pixel_array
    if getattr(ds, "SamplesPerPixel", 1) == 3:
        arr = _to_grey(arr)
    data = arr.astype(np.float32) * float(getattr(ds, "RescaleSlope", 1) or 1) + float(getattr(ds, "RescaleIntercept", 0) or 0)
    spacing = tuple(float(s) for s in ds.PixelSpacing) if "PixelSpacing" in ds else None
    return Image(_squeeze(data), "dicom", spacing, {"dataset": ds}, spacing_unit="mm" if spacing else None)


def _read_zarr(path: Path) -> Image:
    import zarr

    node = zarr.open(str(path), mode="r")
    if hasattr(node, "shape"):
        arr, attrs, key = node, dict(node.attrs), None
    elif "image" in node:
        arr, attrs, key = node["image"], {**dict(node.attrs), **dict(node["image"].attrs)}, "image"
    else:
        raise ImageFileError(f"{path}: Zarr store has no array and no 'image' array")
    data = _squeeze(np.asarray(arr[...])).astype(np.float32)
    spacing = tuple(float(s) for s in attrs["spacing"])[-data.ndim:] if "spacing" in attrs else None
    unit = attrs.get("spacing_unit")
    if unit is not None and unit not in UNIT_UM:
        raise ImageFileError(f"{path}: spacing_unit {unit!r} is not one of {', '.join(UNIT_UM)}")
    meta = {"attrs": attrs, "chunks": getattr(arr, "chunks", None), "key": key}
    if attrs.get("axes") in ("zyx", "xyz", "yx"):  # the test sets' layout attribute
        if len(attrs["axes"]) != data.ndim:
            raise ImageFileError(f"{path}: axes {attrs['axes']!r} for a {data.ndim}D array {data.shape}")
        meta["axes"] = attrs["axes"]
    return Image(data, "zarr", spacing, meta, spacing_unit=unit if spacing else None)


_READERS = {"nifti": _read_nifti, "tiff": _read_tiff, "png": _read_png, "dicom": _read_dicom,
            "zarr": _read_zarr, "jpeg": lambda p: _read_png(p, "jpeg"), "bmp": lambda p: _read_png(p, "bmp")}


# --------------------------------------------------------------------------- writing
#: name endings of the formats a label map or probabilities can be written in
OUTPUT_SUFFIXES = {".nii.gz": "nifti", ".nii": "nifti", ".tif": "tiff", ".tiff": "tiff", ".png": "png",
                   ".dcm": "dicom", ".dicom": "dicom", ".zarr": "zarr"}
FLOAT_FORMATS = ("nifti", "tiff", "zarr")
#: the ``written_by`` attribute of Zarr outputs, which marks them as replaceable outputs
WRITTEN_BY = "synthzoo predict"


def output_format(path: str | Path, input_format: str, *, kind: str = "labels") -> str:
    """The format an output at ``path`` is written in: named by its suffix, or the input's
    format for a name without one.  Raises :class:`ImageFileError` for a format that cannot
    hold this output (decided before any work, from the names alone)."""
    path = Path(path)
    name = path.name.lower()
    fmt = next((f for suf, f in OUTPUT_SUFFIXES.items() if name.endswith(suf)), None)
    if fmt is None:
        if "." in path.name.lstrip("."):
            raise ImageFileError(f"{path}: cannot write {''.join(path.suffixes)} files; valid: "
                                 f"{', '.join(OUTPUT_SUFFIXES)} (or no extension: the input's format)")
        fmt = input_format
        if fmt in READ_ONLY:
            raise ImageFileError(f"{path}: a {READ_ONLY[fmt]} input gives no format to write; name the "
                                 f"output .png, .tif, .nii.gz or .zarr")
    if kind == "probabilities" and fmt not in FLOAT_FORMATS:
        raise ImageFileError(f"{path}: probabilities need a float format; use .nii.gz, .tif or .zarr")
    if fmt == "dicom" and input_format != "dicom":
        raise ImageFileError(f"{path}: a DICOM label map needs a DICOM input (for its header)")
    return fmt


def is_output_store(path: str | Path, kind: str = "labels") -> bool:
    """Whether ``path`` is a Zarr array this module wrote as ``kind`` (so it may be replaced
    with ``--overwrite``); any other folder is never replaced."""
    import json

    meta = Path(path) / "zarr.json"
    try:
        d = json.loads(meta.read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(d, dict) or not isinstance(d.get("attributes"), dict):
        return False
    attrs = d["attributes"]
    return d.get("node_type") == "array" and attrs.get("kind") == kind and attrs.get("written_by") == WRITTEN_BY


def output_target(path: str | Path, input_format: str, *, kind: str = "labels", option: str = "OUTPUT"):
    """The :class:`~synthzoo._outputs.Target` for writing ``kind`` to ``path``."""
    from synthzoo._outputs import Target

    path = Path(path)
    fmt = output_format(path, input_format, kind=kind)
    return Target(path, folder=fmt == "zarr", what=f"{kind} {'store' if fmt == 'zarr' else 'file'}",
                  own=(lambda p: is_output_store(p, kind)) if fmt == "zarr" else None, option=option)


def check_writable(path: str | Path, array_shape: tuple[int, ...], ref: "Image", *, kind: str = "labels") -> str:
    """Check that an array of ``array_shape`` can be written to ``path`` like ``ref``;
    returns the format.  Called once the input is read, before inference."""
    path = Path(path)
    fmt = output_format(path, ref.format, kind=kind)
    spatial = array_shape[1:] if kind == "probabilities" else array_shape
    if fmt in ("png", "dicom") and len(spatial) != 2:
        raise ImageFileError(f"{path}: {fmt.upper()} holds 2D images only, the input is {len(spatial)}D "
                             f"{tuple(spatial)}; use .nii.gz, .tif or .zarr")
    return fmt


def writer(path: str | Path, array: np.ndarray, ref: Image, *, kind: str = "labels"):
    """A function ``write(tmp)`` that writes ``array`` to the file or folder ``tmp`` in the
    format ``path`` names (see :func:`write_like`); errors name ``path``."""
    path = Path(path)
    fmt = check_writable(path, array.shape, ref, kind=kind)

    def write(tmp: Path) -> None:
        try:
            _WRITERS[fmt](tmp, array, ref, kind)
        except ImageFileError as exc:  # raised by the writers without the file's name
            raise ImageFileError(f"{path}: {exc}") from None
        except Exception as exc:
            raise ImageFileError(f"{path}: cannot write {fmt} ({type(exc).__name__}: {exc})") from exc

    return write


def write_like(path: str | Path, array: np.ndarray, ref: Image, *, kind: str = "labels",
               overwrite: bool = False) -> Path:
    """Write ``array`` (a label map with ``ref``'s spatial shape, or probabilities with a
    leading class axis when ``kind="probabilities"``) to ``path`` in the format its suffix
    names (no suffix: ``ref``'s format), with ``ref``'s geometry.

    The output policy of :mod:`synthzoo._outputs` applies: ``path`` is not ``ref``'s file,
    not a folder other than a previous Zarr output of the same kind, and is replaced only
    with ``overwrite``.  Written to a temporary name beside ``path``, then renamed."""
    from synthzoo._outputs import check_outputs, write_outputs

    target = output_target(path, ref.format, kind=kind)
    check_outputs([target], inputs=[ref.path] if ref.path is not None else [], overwrite=overwrite)
    return write_outputs({target.path: writer(path, array, ref, kind=kind)})[0]


def _label_dtype(array: np.ndarray, *, widest: type = np.uint32) -> np.dtype:
    """The smallest unsigned type that holds ``array`` (labels or object ids); ``widest`` is
    the largest the format stores (PNG, DICOM: uint16)."""
    top = int(array.max(initial=0))
    for t in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(t).max and np.dtype(t).itemsize <= np.dtype(widest).itemsize:
            return np.dtype(t)
    raise ImageFileError(f"label value {top} does not fit the format's {np.dtype(widest).name}; "
                         f"write .nii.gz, .tif or .zarr")


def _write_nifti(path: Path, array: np.ndarray, ref: Image, kind: str) -> None:
    import nibabel as nib

    affine = ref.meta.get("affine")
    if affine is None:  # the input's voxel size on the spatial axes, whatever the array holds
        zooms = [float(s) for s in ref.spacing or ()][:3]
        affine = np.diag(zooms + [1.0] * (4 - len(zooms)))
    if kind == "probabilities":
        data = np.moveaxis(array.astype(np.float32), 0, -1)
        if ref.data.ndim == 2:
            data = data[:, :, None, :]
    else:
        data = array.astype(_label_dtype(array))
        shape = ref.meta.get("shape")
        if shape is not None and data.size == int(np.prod(shape)):
            data = data.reshape(shape)
    header = ref.meta.get("header")
    out = nib.Nifti1Image(data, affine, header=header.copy() if header is not None else None)
    out.set_data_dtype(data.dtype)
    out.header.set_slope_inter(1.0, 0.0)
    if path.name.lower().endswith(".nii.gz"):
        nib.save(out, str(path))
    else:  # .nii, or a name without extension (the input's format), which nib.save refuses
        path.write_bytes(out.to_bytes())


def _write_tiff(path: Path, array: np.ndarray, ref: Image, kind: str) -> None:
    import tifffile

    data = array.astype(np.float32) if kind == "probabilities" else array.astype(_label_dtype(array))
    if (kind == "labels" and ref.format == "tiff" and ref.spacing is not None and ref.spacing_unit == "um"
            and data.dtype in (np.uint8, np.uint16) and data.ndim == len(ref.spacing)):
        # the input's voxel size (read from its ImageJ or OME metadata) kept as ImageJ metadata
        sp = ref.spacing
        meta = {"unit": "um", "axes": "ZYX" if data.ndim == 3 else "YX", **({"spacing": sp[0]} if data.ndim == 3 else {})}
        tifffile.imwrite(str(path), data, imagej=True, resolution=(1 / sp[-1], 1 / sp[-2]), metadata=meta)
        return
    tifffile.imwrite(str(path), data, photometric="minisblack")  # never RGB, whatever the last axis


def _write_png(path: Path, array: np.ndarray, ref: Image, kind: str) -> None:
    from PIL import Image as PILImage

    PILImage.fromarray(array.astype(_label_dtype(array, widest=np.uint16))).save(path, format="PNG")


def _write_dicom(path: Path, array: np.ndarray, ref: Image, kind: str) -> None:
    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = copy.deepcopy(ref.meta["dataset"])  # a shallow copy shares its elements and file meta
    data = array.astype(_label_dtype(array, widest=np.uint16)).astype(np.uint16)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesDescription = "synthzoo label map"
    ds.Rows, ds.Columns = data.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    for tag in ("RescaleSlope", "RescaleIntercept", "WindowCenter", "WindowWidth", "PlanarConfiguration"):
        if tag in ds:
            delattr(ds, tag)
    ds.PixelData = data.tobytes()
    pydicom.dcmwrite(str(path), ds, enforce_file_format=True)


def _write_zarr(path: Path, array: np.ndarray, ref: Image, kind: str) -> None:
    import zarr

    data = array.astype(np.float32) if kind == "probabilities" else array.astype(_label_dtype(array))
    chunks = ref.meta.get("chunks")
    if kind == "probabilities" and chunks is not None:
        chunks = (1, *chunks[-array.ndim + 1:])
    z = zarr.create_array(str(path), shape=data.shape, dtype=data.dtype,
                          chunks=chunks if chunks is not None and len(chunks) == data.ndim else "auto")
    z[...] = data
    attrs = {k: v for k, v in ref.meta.get("attrs", {}).items() if k in ("spacing", "axes")}
    if ref.spacing is not None:
        attrs["spacing"] = list(ref.spacing)
    attrs["kind"] = kind
    attrs["written_by"] = WRITTEN_BY
    z.attrs.update(attrs)


_WRITERS = {"nifti": _write_nifti, "tiff": _write_tiff, "png": _write_png, "dicom": _write_dicom,
            "zarr": _write_zarr}
