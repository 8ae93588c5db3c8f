"""Reading images and writing label maps (synthzoo.zoo.imageio) format by format, on tiny
arrays: what each reader returns (values, dtype, voxel size, the metadata a writer needs),
what each writer keeps of the input's geometry and header, which outputs each format can
hold, and what the errors say.  Written against the surviving mutants of
scripts/mutation.sh; expected values are worked out by hand or with the format's library."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from synthzoo.zoo import imageio as io
from synthzoo.zoo.imageio import Image, ImageFileError, read_image, write_like


# --------------------------------------------------------------------------- helpers
def _nifti(path, data, affine=None, *, zooms=None, slope=None, descrip=b"", codes=(1, 1)):
    import nibabel as nib

    if affine is None:
        affine = np.diag([*(zooms or (1.0, 1.0, 1.0)), 1.0])
        affine[:3, 3] = (-10.0, 20.0, 5.0)
    img = nib.Nifti1Image(data, affine)
    img.header["descrip"] = descrip
    img.set_sform(affine, code=codes[0])
    img.set_qform(affine, code=codes[1])
    if slope is not None:
        img.header.set_slope_inter(*slope)
    nib.save(img, str(path))
    return path, affine


def _zarr(path, arr, *, chunks="auto", attrs=None):
    import zarr

    z = zarr.create_array(str(path), shape=arr.shape, dtype=arr.dtype, chunks=chunks)
    z[...] = arr
    if attrs:
        z.attrs.update(attrs)
    return path


def _dicom(path, pixels, *, rgb=False, **tags):
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName, ds.Modality = "Phantom^Test", "MR"
    ds.Rows, ds.Columns = pixels.shape[:2]
    if rgb:
        ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
        ds.PixelData = pixels.astype(np.uint8).tobytes()
    else:
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
        ds.PixelData = pixels.astype(np.uint16).tobytes()
    ds.PixelRepresentation = 0
    for k, v in tags.items():
        setattr(ds, k, v)
    ds.save_as(str(path), enforce_file_format=True)
    return path


def _png(path, arr, mode=None):
    from PIL import Image as PILImage

    (PILImage.fromarray(arr, mode) if mode else PILImage.fromarray(arr)).save(path)
    return path


def _pil(path):
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        return im.mode, np.asarray(im)


LABELS = np.array([[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [1, 1, 2, 2, 0], [0, 0, 0, 4, 4]])


# --------------------------------------------------------------------------- detect_format
@pytest.mark.parametrize("name,fmt", [
    ("a.nii", "nifti"), ("a.nii.gz", "nifti"), ("A.NII.GZ", "nifti"), ("a.tif", "tiff"), ("a.TIFF", "tiff"),
    ("a.png", "png"), ("a.PNG", "png"), ("a.zarr", "zarr"), ("a.dcm", "dicom"), ("a.DICOM", "dicom"),
])
def test_detect_format_by_name(tmp_path, name, fmt):
    assert io.detect_format(tmp_path / name) == fmt  # the file need not exist


def test_detect_format_of_a_folder_and_of_a_dicom_without_suffix(tmp_path):
    (tmp_path / "store").mkdir()
    assert io.detect_format(tmp_path / "store") == "zarr"
    (tmp_path / "scan").write_bytes(b"\0" * 128 + b"DICM" + b"\0" * 10)
    assert io.detect_format(tmp_path / "scan") == "dicom"
    for name, content in [("other", b"\0" * 128 + b"NOPE" + b"\0" * 10), ("short", b"\0" * 131 + b"D"),
                          ("shifted", b"\0" * 129 + b"DICM")]:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ImageFileError, match=rf"^{re.escape(str(tmp_path / name))}: unknown image format; "
                                                 r"use \.nii, \.nii\.gz, \.tif, \.tiff, \.png, \.jpg, \.bmp, \.dcm or \.zarr$"):
            io.detect_format(tmp_path / name)
    with pytest.raises(ImageFileError, match="missing: unknown image format"):
        io.detect_format(tmp_path / "missing")


# --------------------------------------------------------------------------- read_image
def test_read_image_errors_name_the_file(tmp_path):
    import tifffile
    import zarr

    with pytest.raises(ImageFileError, match=rf"^{re.escape(str(tmp_path / 'no.png'))}: no such file$"):
        read_image(tmp_path / "no.png")
    (tmp_path / "bad.nii.gz").write_bytes(b"not a nifti file")
    with pytest.raises(ImageFileError, match=rf"^{re.escape(str(tmp_path / 'bad.nii.gz'))}: cannot read as nifti "
                                             r"\(\w+: .+\)$"):
        read_image(tmp_path / "bad.nii.gz")
    zarr.open_group(str(tmp_path / "g.zarr"), mode="w").create_array("other", shape=(2, 2), dtype="f4")
    with pytest.raises(ImageFileError, match=rf"^{re.escape(str(tmp_path / 'g.zarr'))}: Zarr store has no array "
                                             r"and no 'image' array$"):
        read_image(tmp_path / "g.zarr")
    tifffile.imwrite(tmp_path / "line.tif", np.arange(5, dtype=np.uint8))
    with pytest.raises(ImageFileError, match=r"line.tif: expected a 2D or 3D image, got shape \(5,\)$"):
        read_image(tmp_path / "line.tif")
    _nifti(tmp_path / "4d.nii", np.zeros((4, 4, 2, 2), np.float32))
    with pytest.raises(ImageFileError, match=r"4d.nii: expected a 2D or 3D image, got shape \(4, 4, 2, 2\)$"):
        read_image(tmp_path / "4d.nii")
    _zarr(tmp_path / "empty.zarr", np.zeros((0, 4), np.float32))
    with pytest.raises(ImageFileError, match=r"empty.zarr: expected a 2D or 3D image, got shape \(0, 4\)$"):
        read_image(tmp_path / "empty.zarr")
    for name, bad in [("nan.tif", np.nan), ("inf.tif", np.inf), ("ninf.tif", -np.inf)]:
        arr = np.ones((3, 3), np.float32)
        arr[1, 2] = bad
        tifffile.imwrite(tmp_path / name, arr)
        with pytest.raises(ImageFileError, match=rf"^{re.escape(str(tmp_path / name))}: image holds NaN or "
                                                 r"infinite values$"):
            read_image(tmp_path / name)


def test_a_one_pixel_image_is_2d(tmp_path):
    import tifffile

    tifffile.imwrite(tmp_path / "one.tif", np.array([[[7]]], np.uint8))
    img = read_image(tmp_path / "one.tif")
    assert img.data.shape == (1, 1) and img.data[0, 0] == 7 and img.path == tmp_path / "one.tif"
    assert read_image(_png(tmp_path / "one.png", np.array([[9]], np.uint8))).data.shape == (1, 1)


# --------------------------------------------------------------------------- NIfTI
def test_read_nifti_values_spacing_and_geometry(tmp_path):
    import nibabel as nib

    data = np.arange(4 * 5 * 3, dtype=np.int16).reshape(4, 5, 3)
    path, affine = _nifti(tmp_path / "v.nii.gz", data, zooms=(0.5, 0.75, 2.5), slope=(2.0, 1.0))
    img = read_image(path)
    assert img.format == "nifti" and img.data.dtype == np.float32 and img.path == path
    np.testing.assert_array_equal(img.data, 2 * data + 1)  # the header's scaling applied
    assert img.spacing == (0.5, 0.75, 2.5) and img.meta["shape"] == (4, 5, 3)
    np.testing.assert_allclose(img.meta["affine"], affine)
    assert isinstance(img.meta["header"], nib.Nifti1Header)


@pytest.mark.parametrize("shape,data_shape,n_sp", [
    ((4, 5, 3, 1), (4, 5, 3), 3), ((4, 5, 3, 1, 1), (4, 5, 3), 3), ((4, 5, 1), (4, 5), 2),
    ((4, 5, 1, 1), (4, 5), 2), ((4, 5, 2), (4, 5, 2), 3), ((4, 5), (4, 5), 2),
])
def test_read_nifti_drops_singleton_axes_and_writes_them_back(tmp_path, shape, data_shape, n_sp):
    import nibabel as nib

    data = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    path, affine = _nifti(tmp_path / "in.nii.gz", data, zooms=(0.5, 0.75, 2.5))
    img = read_image(path)
    assert img.data.shape == data_shape and img.meta["shape"] == shape
    assert img.spacing == (0.5, 0.75, 2.5)[:n_sp]
    labels = (np.arange(img.data.size) % 3).reshape(data_shape)
    out = nib.load(str(write_like(tmp_path / "o.nii.gz", labels, img)))
    assert out.shape == shape
    np.testing.assert_array_equal(np.asarray(out.dataobj).reshape(data_shape), labels)
    np.testing.assert_allclose(out.affine, affine)


def test_nifti_labels_keep_the_header_without_its_scaling(tmp_path):
    import nibabel as nib

    path, affine = _nifti(tmp_path / "in.nii.gz", np.ones((4, 5, 2), np.int16), zooms=(0.5, 0.75, 2.5),
                          slope=(3.0, 7.0), descrip=b"scanner x", codes=(2, 1))
    img = read_image(path)
    labels = np.zeros((4, 5, 2), int)
    labels[1, 2, 1], labels[3, 4, 0] = 255, 7
    out = nib.load(str(write_like(tmp_path / "o.nii.gz", labels, img)))
    assert out.get_data_dtype() == np.uint8
    np.testing.assert_array_equal(out.get_fdata(), labels)  # no slope/intercept applied
    h = out.header
    assert h.get_slope_inter() in ((1.0, 0.0), (None, None))
    assert h["descrip"].tobytes().rstrip(b"\0") == b"scanner x"
    assert int(h["sform_code"]) == 2 and int(h["qform_code"]) == 1
    np.testing.assert_allclose(h.get_zooms(), (0.5, 0.75, 2.5))
    np.testing.assert_allclose(out.affine, affine)
    labels[0, 0, 0] = 256
    out = nib.load(str(write_like(tmp_path / "o16.nii.gz", labels, img)))
    assert out.get_data_dtype() == np.uint16 and out.get_fdata()[0, 0, 0] == 256
    # the input's header object is not changed by writing
    assert img.meta["header"].get_data_dtype() == np.int16


def test_nifti_probabilities_put_the_classes_last(tmp_path):
    import nibabel as nib

    rng = np.random.default_rng(0)
    img3 = read_image(_nifti(tmp_path / "v.nii.gz", np.ones((4, 5, 2), np.float32))[0])
    p = rng.random((3, 4, 5, 2)).astype(np.float32)
    out = nib.load(str(write_like(tmp_path / "p3.nii.gz", p, img3, kind="probabilities")))
    assert out.shape == (4, 5, 2, 3) and out.get_data_dtype() == np.float32
    np.testing.assert_allclose(out.get_fdata(), np.moveaxis(p, 0, -1), rtol=1e-6)
    img2 = read_image(_nifti(tmp_path / "s.nii.gz", np.ones((4, 5, 1), np.float32))[0])
    p2 = rng.random((3, 4, 5)).astype(np.float32)
    out = nib.load(str(write_like(tmp_path / "p2.nii.gz", p2, img2, kind="probabilities")))
    assert out.shape == (4, 5, 1, 3)
    np.testing.assert_allclose(out.get_fdata()[:, :, 0], np.moveaxis(p2, 0, -1), rtol=1e-6)


def test_nifti_output_named_without_extension(tmp_path):
    import nibabel as nib

    ref = read_image(_nifti(tmp_path / "in.nii.gz", np.ones((4, 5, 2), np.float32), zooms=(0.5, 0.75, 2.5))[0])
    labels = np.ones((4, 5, 2), int)
    out = nib.Nifti1Image.from_bytes(write_like(tmp_path / "labels", labels, ref).read_bytes())
    np.testing.assert_array_equal(np.asarray(out.dataobj), labels)
    np.testing.assert_allclose(out.affine, ref.meta["affine"])
    probs = np.full((2, 4, 5, 2), 0.5, np.float32)
    out = nib.Nifti1Image.from_bytes(write_like(tmp_path / "p", probs, ref, kind="probabilities").read_bytes())
    assert out.shape == (4, 5, 2, 2) and out.get_data_dtype() == np.float32
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.nii.gz", "labels", "p"]
    # .nii is plain, .nii.gz compressed; both load by name
    for name, magic in [("o.nii", b"\x5c\x01\x00\x00"), ("o.nii.gz", b"\x1f\x8b")]:
        path = write_like(tmp_path / name, labels, ref)
        assert path.read_bytes().startswith(magic), name  # sizeof_hdr 348, or the gzip magic
        np.testing.assert_array_equal(np.asarray(nib.load(str(path)).dataobj), labels)


@pytest.mark.parametrize("spacing,zooms", [(None, (1.0, 1.0, 1.0)), ((0.5, 0.7), (0.5, 0.7, 1.0)),
                                           ((0.5, 0.75, 2.5), (0.5, 0.75, 2.5))])
def test_nifti_from_another_format_gets_the_voxel_size_as_affine(tmp_path, spacing, zooms):
    import nibabel as nib

    shape = (4, 5, 2)[: len(spacing or (0, 0))]
    ref = Image(np.zeros(shape, np.float32), "zarr", spacing)
    labels = np.ones(shape, int)
    out = nib.load(str(write_like(tmp_path / "o.nii.gz", labels, ref)))
    np.testing.assert_allclose(out.affine, np.diag([*zooms, 1.0]))
    assert out.shape == shape
    probs = np.ones((2, *shape), np.float32) / 2
    out = nib.load(str(write_like(tmp_path / "p.nii.gz", probs, ref, kind="probabilities")))
    np.testing.assert_allclose(out.affine, np.diag([*zooms, 1.0]))
    assert out.shape == (4, 5, *([2] if len(shape) == 3 else [1]), 2)


# --------------------------------------------------------------------------- TIFF
@pytest.mark.parametrize("shape,out", [((1, 5, 6), (5, 6)), ((5, 1, 6), (5, 6)), ((1, 1, 5), (1, 5)),
                                       ((2, 5, 6), (2, 5, 6)), ((1, 2, 1, 5, 6), (2, 5, 6))])
def test_tiff_drops_length_one_axes_while_more_than_two_are_left(tmp_path, shape, out):
    import tifffile

    arr = (np.arange(int(np.prod(shape))) * 300).astype(np.uint16).reshape(shape)
    tifffile.imwrite(tmp_path / "a.tif", arr, photometric="minisblack")
    img = read_image(tmp_path / "a.tif")
    assert img.format == "tiff" and img.data.shape == out and img.data.dtype == np.float32
    assert img.spacing is None
    np.testing.assert_array_equal(img.data, arr.reshape(out))


def test_tiff_labels_and_probabilities(tmp_path):
    import tifffile

    ref = Image(np.zeros((4, 5), np.float32), "tiff")
    a = tifffile.imread(write_like(tmp_path / "o.tif", LABELS, ref))
    assert a.dtype == np.uint8
    np.testing.assert_array_equal(a, LABELS)
    big = LABELS * 100
    a = tifffile.imread(write_like(tmp_path / "o16.tiff", big, ref))
    assert a.dtype == np.uint16
    np.testing.assert_array_equal(a, big)
    p = np.random.default_rng(0).random((3, 4, 5))
    a = tifffile.imread(write_like(tmp_path / "p.tif", p, ref, kind="probabilities"))
    assert a.dtype == np.float32 and a.shape == (3, 4, 5)
    np.testing.assert_allclose(a, p, rtol=1e-6)


def test_tiff_rgb_and_rgba_are_grey_by_luma(tmp_path):
    import tifffile

    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[1, 2] = (100, 50, 200)
    tifffile.imwrite(tmp_path / "rgb.tif", rgb)  # photometric RGB: axes YXS
    img = read_image(tmp_path / "rgb.tif")
    assert img.data.shape == (4, 5) and img.meta["axes"] == "yx"
    assert img.data[1, 2] == pytest.approx(0.299 * 100 + 0.587 * 50 + 0.114 * 200, rel=1e-6)
    rgba = np.concatenate([rgb, np.full((4, 5, 1), 255, np.uint8)], -1)
    tifffile.imwrite(tmp_path / "rgba.tif", rgba, photometric="rgb", extrasamples=["unassalpha"])
    np.testing.assert_allclose(read_image(tmp_path / "rgba.tif").data, img.data)
    stack = np.stack([rgb, rgb // 2])  # RGB pages: a (z, y, x) grey stack
    tifffile.imwrite(tmp_path / "rgbs.tif", stack, photometric="rgb")
    s = read_image(tmp_path / "rgbs.tif")
    assert s.data.shape == (2, 4, 5) and s.meta["axes"] == "zyx"
    assert s.data[1, 1, 2] == pytest.approx(0.299 * 50 + 0.587 * 25 + 0.114 * 100, rel=1e-6)


def test_tiff_pages_are_the_first_axis_of_a_zyx_stack(tmp_path):
    import tifffile

    vol = np.arange(2 * 3 * 4, dtype=np.uint16).reshape(2, 3, 4)
    tifffile.imwrite(tmp_path / "s.tif", vol, photometric="minisblack")
    img = read_image(tmp_path / "s.tif")
    assert img.meta == {"axes": "zyx"} and img.spacing is None and img.spacing_unit is None
    np.testing.assert_array_equal(img.data, vol)


def test_tiff_voxel_size_from_imagej_metadata_in_micrometres(tmp_path):
    import tifffile

    vol = np.zeros((3, 4, 5), np.uint16)
    tifffile.imwrite(tmp_path / "um.tif", vol, imagej=True, resolution=(1 / 0.25, 1 / 0.5),
                     metadata={"spacing": 2.0, "unit": "micron", "axes": "ZYX"})
    img = read_image(tmp_path / "um.tif")
    assert img.spacing == pytest.approx((2.0, 0.5, 0.25)) and img.spacing_unit == "um"
    tifffile.imwrite(tmp_path / "nm.tif", vol[0], imagej=True, resolution=(1 / 80.0, 1 / 80.0),
                     metadata={"unit": "nm"})
    img = read_image(tmp_path / "nm.tif")
    assert img.spacing == pytest.approx((0.08, 0.08)) and img.spacing_unit == "um"
    tifffile.imwrite(tmp_path / "mm.tif", vol, imagej=True, resolution=(1 / 0.01, 1 / 0.01),
                     metadata={"unit": "mm", "axes": "ZYX"})  # no slice spacing: as thick as wide
    assert read_image(tmp_path / "mm.tif").spacing == pytest.approx((10.0, 10.0, 10.0))
    tifffile.imwrite(tmp_path / "px.tif", vol[0], imagej=True, resolution=(2.0, 2.0), metadata={"unit": "pixel"})
    assert read_image(tmp_path / "px.tif").spacing is None


def test_tiff_label_map_keeps_the_inputs_voxel_size(tmp_path):
    import tifffile

    vol = np.zeros((3, 4, 5), np.uint16)
    tifffile.imwrite(tmp_path / "in.tif", vol, imagej=True, resolution=(1 / 0.25, 1 / 0.5),
                     metadata={"spacing": 2.0, "unit": "um", "axes": "ZYX"})
    ref = read_image(tmp_path / "in.tif")
    labels = np.zeros((3, 4, 5), int)
    labels[1, 2, 3] = 2
    out = read_image(write_like(tmp_path / "o.tif", labels, ref))
    assert out.spacing == pytest.approx((2.0, 0.5, 0.25)) and out.spacing_unit == "um"
    np.testing.assert_array_equal(out.data, labels)
    flat = read_image(write_like(tmp_path / "o2.tif", labels[0], Image(np.zeros((4, 5), np.float32), "tiff",
                                                                       (0.5, 0.25), {"axes": "yx"}, spacing_unit="um")))
    assert flat.spacing == pytest.approx((0.5, 0.25))
    plain = read_image(write_like(tmp_path / "o3.tif", labels, Image(np.zeros((3, 4, 5), np.float32), "tiff")))
    assert plain.spacing is None  # nothing to keep: a plain TIFF


def test_tiff_dots_per_inch_are_not_a_voxel_size(tmp_path):
    import tifffile

    tifffile.imwrite(tmp_path / "dpi.tif", np.zeros((4, 5), np.uint8), resolution=(72, 72), resolutionunit="INCH")
    img = read_image(tmp_path / "dpi.tif")
    assert img.spacing is None and img.spacing_unit is None


def test_tiff_voxel_size_from_ome_metadata(tmp_path):
    import tifffile

    tifffile.imwrite(tmp_path / "a.ome.tif", np.zeros((3, 4, 5), np.uint16),
                     metadata={"axes": "ZYX", "PhysicalSizeX": 0.2, "PhysicalSizeY": 0.3, "PhysicalSizeZ": 1.5})
    img = read_image(tmp_path / "a.ome.tif")  # OME's default unit: micrometres
    assert img.spacing == pytest.approx((1.5, 0.3, 0.2)) and img.spacing_unit == "um"
    tifffile.imwrite(tmp_path / "b.ome.tif", np.zeros((4, 5), np.uint16),
                     metadata={"axes": "YX", "PhysicalSizeX": 40.0, "PhysicalSizeXUnit": "nm",
                               "PhysicalSizeY": 0.04, "PhysicalSizeYUnit": "\u00b5m"})
    assert read_image(tmp_path / "b.ome.tif").spacing == pytest.approx((0.04, 0.04))


def test_tiff_with_several_channels_or_time_points_is_refused_in_one_line(tmp_path):
    import tifffile

    tifffile.imwrite(tmp_path / "c.ome.tif", np.zeros((3, 2, 4, 5), np.uint16), metadata={"axes": "ZCYX"})
    with pytest.raises(ImageFileError, match=rf"^{re.escape(str(tmp_path / 'c.ome.tif'))}: 2 channels \(axes "
                                             r"ZCYX, shape \(3, 2, 4, 5\)\); save the one channel"):
        read_image(tmp_path / "c.ome.tif")
    tifffile.imwrite(tmp_path / "t.tif", np.zeros((4, 3, 4, 5), np.uint16), imagej=True, metadata={"axes": "TZYX"})
    with pytest.raises(ImageFileError, match=r"t.tif: 4 time points \(axes TZYX"):
        read_image(tmp_path / "t.tif")
    tifffile.imwrite(tmp_path / "c1.ome.tif", np.ones((3, 1, 4, 5), np.uint16), metadata={"axes": "ZCYX"})
    assert read_image(tmp_path / "c1.ome.tif").data.shape == (3, 4, 5)  # one channel: kept
    tifffile.imwrite(tmp_path / "s2.tif", np.zeros((4, 5, 2), np.uint8), photometric="minisblack",
                     planarconfig="contig", extrasamples=["unspecified"])
    with pytest.raises(ImageFileError, match=r"s2.tif: 2 samples per pixel"):
        read_image(tmp_path / "s2.tif")


def test_zarr_axes_attribute_is_kept_and_checked(tmp_path):
    z = _zarr(tmp_path / "s.zarr", np.zeros((2, 3, 4), np.float32))
    import zarr

    zarr.open_array(str(z), mode="r+").attrs["axes"] = "zyx"
    img = read_image(z)
    assert img.meta["axes"] == "zyx"
    out = write_like(tmp_path / "o.zarr", np.zeros((2, 3, 4), int), img)
    assert zarr.open_array(str(out), mode="r").attrs["axes"] == "zyx"
    zarr.open_array(str(z), mode="r+").attrs["axes"] = "yx"
    with pytest.raises(ImageFileError, match=r"s.zarr: axes 'yx' for a 3D array \(2, 3, 4\)$"):
        read_image(z)


def test_jpeg_and_bmp_are_read_grey_and_their_label_maps_need_a_lossless_name(tmp_path):
    from PIL import Image as PILImage

    grey = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (8, 1))  # 8 x 25, smooth: JPEG keeps it
    PILImage.fromarray(grey).save(tmp_path / "g.jpg", quality=100)
    img = read_image(tmp_path / "g.jpg")
    assert img.format == "jpeg" and img.data.shape == (8, 25) and img.spacing is None
    assert np.abs(img.data - grey).max() <= 3
    rgb = np.stack([grey, grey // 2, np.zeros_like(grey)], -1)
    PILImage.fromarray(rgb).save(tmp_path / "c.bmp")
    bmp = read_image(tmp_path / "c.bmp")
    assert bmp.format == "bmp" and bmp.data.shape == (8, 25)
    np.testing.assert_allclose(bmp.data, 0.299 * grey + 0.587 * (grey // 2), rtol=1e-5)
    assert io.output_format(tmp_path / "o.png", "jpeg") == "png"
    assert io.output_format(tmp_path / "o.tif", "bmp") == "tiff"
    for fmt, what in (("jpeg", r"JPEG \(lossy\)"), ("bmp", "BMP")):
        with pytest.raises(ImageFileError, match=rf"^{re.escape(str(tmp_path / 'out'))}: a {what} input gives no "
                                                 r"format to write; name the output .png, .tif, .nii.gz or .zarr$"):
            io.output_format(tmp_path / "out", fmt)
    labels = (grey > 100).astype(int)
    out = write_like(tmp_path / "o.png", labels, img)
    np.testing.assert_array_equal(np.asarray(PILImage.open(out)), labels)


# --------------------------------------------------------------------------- PNG
def test_png_grey_8_and_16_bit(tmp_path):
    grey = read_image(_png(tmp_path / "g.png", LABELS.astype(np.uint8) * 60))
    assert grey.format == "png" and grey.spacing is None and grey.meta == {"mode": "L"}
    assert grey.data.dtype == np.float32
    np.testing.assert_array_equal(grey.data, LABELS * 60)
    deep = read_image(_png(tmp_path / "d.png", (LABELS * 1000).astype(np.uint16)))
    np.testing.assert_array_equal(deep.data, LABELS * 1000)


def test_png_colour_is_converted_to_luma(tmp_path):
    from PIL import Image as PILImage

    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[0, 0] = (100, 0, 0)
    rgb[0, 1] = (0, 100, 0)
    rgb[0, 2] = (0, 0, 100)
    rgb[1] = (200, 100, 50)
    luma = np.array([[29.9, 58.7, 11.4], [124.2, 124.2, 124.2]])  # ITU-R 601: .299 R + .587 G + .114 B
    img = read_image(_png(tmp_path / "rgb.png", rgb))
    assert img.data.shape == (2, 3) and img.data.dtype == np.float32 and img.meta["mode"] == "RGB"
    np.testing.assert_allclose(img.data, luma, rtol=1e-5)
    rgba = np.concatenate([rgb, np.full((2, 3, 1), 7, np.uint8)], -1)  # alpha plays no part
    np.testing.assert_allclose(read_image(_png(tmp_path / "rgba.png", rgba)).data, luma, rtol=1e-5)
    pal = PILImage.fromarray(np.array([[0, 1, 2], [3, 3, 3]], np.uint8), "P")
    pal.putpalette([100, 0, 0, 0, 100, 0, 0, 0, 100, 200, 100, 50] + [0] * 756)
    pal.save(tmp_path / "pal.png")
    img = read_image(tmp_path / "pal.png")
    assert img.meta["mode"] == "P"
    np.testing.assert_allclose(img.data, luma, rtol=1e-5)  # the palette's colours, not its indices
    la = np.stack([LABELS.astype(np.uint8) * 50, np.full((4, 5), 9, np.uint8)], -1)
    PILImage.fromarray(la, "LA").save(tmp_path / "la.png")
    img = read_image(tmp_path / "la.png")
    assert img.meta["mode"] == "LA" and img.data.shape == (4, 5)
    np.testing.assert_allclose(img.data, LABELS * 50, atol=1e-3)


def test_a_cmyk_image_named_png_is_converted_to_luma(tmp_path):
    from PIL import Image as PILImage

    # PIL opens files by content: a CMYK TIFF under a .png name
    cmyk = np.zeros((2, 2, 4), np.uint8)
    cmyk[0, 0] = (0, 0, 0, 0)  # white
    cmyk[0, 1] = (0, 0, 0, 255)  # black
    cmyk[1, :] = (255, 0, 0, 0)  # cyan: RGB (0, 255, 255)
    PILImage.fromarray(cmyk, "CMYK").save(tmp_path / "c.png", format="TIFF")
    img = read_image(tmp_path / "c.png")
    assert img.meta["mode"] == "CMYK"
    np.testing.assert_allclose(img.data, [[255, 0], [0.701 * 255] * 2], rtol=1e-4)


def test_to_grey_takes_three_or_four_channels_and_leaves_others():
    arr = np.zeros((2, 2, 4), np.uint8)
    arr[..., 0], arr[..., 3] = 100, 50
    np.testing.assert_allclose(io._to_grey(arr), np.full((2, 2), 29.9), rtol=1e-5)
    np.testing.assert_allclose(io._to_grey(arr[..., :3]), np.full((2, 2), 29.9), rtol=1e-5)
    two = np.ones((2, 2, 2), np.uint16)
    out = io._to_grey(two)
    assert out.shape == (2, 2, 2) and out.dtype == np.float32
    grey = io._to_grey(np.arange(9, dtype=np.uint8).reshape(3, 3))  # 3 columns are not 3 channels
    assert grey.dtype == np.float32 and grey.shape == (3, 3)
    np.testing.assert_array_equal(grey, np.arange(9).reshape(3, 3))


def test_png_labels_are_8_bit_up_to_255_then_16_bit(tmp_path):
    ref = Image(np.zeros((4, 5), np.float32), "png")
    mode, a = _pil(write_like(tmp_path / "o.png", LABELS * 63, ref))  # max 252
    assert mode == "L"
    np.testing.assert_array_equal(a, LABELS * 63)
    mode, a = _pil(write_like(tmp_path / "m.png", np.where(LABELS == 4, 255, LABELS), ref))
    assert mode == "L" and a.max() == 255
    mode, a = _pil(write_like(tmp_path / "o16.png", np.where(LABELS == 4, 256, LABELS), ref))
    assert mode.startswith("I")
    np.testing.assert_array_equal(a, np.where(LABELS == 4, 256, LABELS))
    assert io._label_dtype(np.zeros((0,), int)) == np.uint8


# --------------------------------------------------------------------------- DICOM
def test_dicom_values_rescale_and_spacing(tmp_path):
    px = LABELS * 10
    img = read_image(_dicom(tmp_path / "a.dcm", px, PixelSpacing=[0.5, 0.7], RescaleSlope=2, RescaleIntercept=-5))
    assert img.format == "dicom" and img.data.dtype == np.float32 and img.spacing == (0.5, 0.7)
    np.testing.assert_array_equal(img.data, 2 * px - 5)
    assert img.meta["dataset"].PatientName == "Phantom^Test"
    plain = read_image(_dicom(tmp_path / "b.dcm", px))  # no rescale, no voxel size
    np.testing.assert_array_equal(plain.data, px)
    assert plain.spacing is None
    # an explicit identity rescale, and a slope of 0 (invalid) read as 1
    np.testing.assert_array_equal(read_image(_dicom(tmp_path / "c.dcm", px, RescaleSlope=1,
                                                    RescaleIntercept=0)).data, px)
    np.testing.assert_array_equal(read_image(_dicom(tmp_path / "d.dcm", px, RescaleSlope=0,
                                                    RescaleIntercept=3)).data, px + 3)
    # found by content, without a suffix
    (tmp_path / "scan").write_bytes((tmp_path / "b.dcm").read_bytes())
    assert read_image(tmp_path / "scan").format == "dicom"


def test_dicom_rgb_is_converted_to_luma(tmp_path):
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[0] = (100, 0, 0)
    rgb[1] = (0, 0, 100)
    img = read_image(_dicom(tmp_path / "rgb.dcm", rgb, rgb=True))
    assert img.data.shape == (2, 3)
    np.testing.assert_allclose(img.data, [[29.9] * 3, [11.4] * 3], rtol=1e-5)


def test_dicom_label_map_is_a_new_16_bit_grey_instance_of_the_input(tmp_path):
    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian

    for name, kw in [("grey.dcm", dict(RescaleSlope=2, RescaleIntercept=-5, WindowCenter=40, WindowWidth=400)),
                     ("rgb.dcm", dict(rgb=True))]:
        px = np.zeros((4, 5, 3), np.uint8) if kw.get("rgb") else LABELS
        src = _dicom(tmp_path / name, px, **kw)
        ref = read_image(src)
        sop = ref.meta["dataset"].SOPInstanceUID
        labels = LABELS * 1000  # above 255: 16 bits
        out_path = write_like(tmp_path / f"o_{name}", labels, ref)
        assert out_path.read_bytes()[128:132] == b"DICM"
        ds, before = pydicom.dcmread(str(out_path)), pydicom.dcmread(str(src))
        np.testing.assert_array_equal(ds.pixel_array, labels)
        assert ds.pixel_array.dtype == np.uint16
        assert ds.PatientName == "Phantom^Test" and ds.Modality == "MR"
        assert ds.SOPInstanceUID not in (sop, "") and ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.SeriesInstanceUID.is_valid and ds.SeriesInstanceUID != before.SeriesInstanceUID
        assert ds.SeriesDescription == "synthzoo label map"
        assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
        assert (ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation) == (4, 5, 1, "MONOCHROME2")
        assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation) == (16, 16, 15, 0)
        for tag in ("RescaleSlope", "RescaleIntercept", "WindowCenter", "WindowWidth", "PlanarConfiguration"):
            assert tag not in ds, (name, tag)
        np.testing.assert_array_equal(read_image(out_path).data, labels)
        assert ref.meta["dataset"].SOPInstanceUID == sop  # the input's dataset is not changed


# --------------------------------------------------------------------------- Zarr
def test_zarr_array_spacing_and_chunks(tmp_path):
    arr = (np.arange(64).reshape(1, 8, 8) % 7).astype(np.uint8)
    img = read_image(_zarr(tmp_path / "a.zarr", arr, chunks=(1, 4, 4), attrs={"spacing": [5.0, 0.5, 0.7],
                                                                               "note": "x"}))
    assert img.format == "zarr" and img.data.shape == (8, 8) and img.data.dtype == np.float32
    np.testing.assert_array_equal(img.data, arr[0])
    assert img.spacing == (0.5, 0.7)  # the last axes' voxel size
    assert img.meta == {"attrs": {"spacing": [5.0, 0.5, 0.7], "note": "x"}, "chunks": (1, 4, 4), "key": None}
    plain = read_image(_zarr(tmp_path / "b.zarr", arr[0]))
    assert plain.spacing is None


def test_zarr_group_with_an_image_array(tmp_path):
    import zarr

    g = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    g.attrs.update({"spacing": [2.0, 3.0], "a": 1})
    z = g.create_array("image", shape=(4, 5), dtype="uint16", chunks=(2, 5))
    z[...] = LABELS
    z.attrs["a"] = 2
    img = read_image(tmp_path / "g.zarr")
    np.testing.assert_array_equal(img.data, LABELS)
    assert img.spacing == (2.0, 3.0) and img.meta["key"] == "image" and img.meta["chunks"] == (2, 5)
    assert img.meta["attrs"] == {"spacing": [2.0, 3.0], "a": 2}  # the array's attributes win
    z.attrs["spacing"] = [0.5, 0.25]
    assert read_image(tmp_path / "g.zarr").spacing == (0.5, 0.25)


def test_zarr_labels_and_probabilities_keep_chunks_and_voxel_size(tmp_path):
    import zarr

    ref = read_image(_zarr(tmp_path / "in.zarr", LABELS.astype(np.float32), chunks=(2, 5),
                           attrs={"spacing": [0.5, 0.7], "note": "dropped"}))
    out = zarr.open_array(str(write_like(tmp_path / "o.zarr", LABELS, ref)), mode="r")
    assert out.dtype == np.uint8 and out.chunks == (2, 5)
    np.testing.assert_array_equal(out[...], LABELS)
    assert dict(out.attrs) == {"spacing": [0.5, 0.7], "kind": "labels", "written_by": "synthzoo predict"}
    out = zarr.open_array(str(write_like(tmp_path / "o16.zarr", LABELS * 100, ref)), mode="r")
    assert out.dtype == np.uint16 and out[0, 4] == 400
    p = np.random.default_rng(0).random((3, 4, 5))
    out = zarr.open_array(str(write_like(tmp_path / "p.zarr", p, ref, kind="probabilities")), mode="r")
    assert out.dtype == np.float32 and out.shape == (3, 4, 5) and out.chunks == (1, 2, 5)
    np.testing.assert_allclose(out[...], p, rtol=1e-6)
    assert dict(out.attrs) == {"spacing": [0.5, 0.7], "kind": "probabilities", "written_by": "synthzoo predict"}
    assert io.is_output_store(tmp_path / "p.zarr", "probabilities") and io.is_output_store(tmp_path / "o.zarr")


def test_zarr_output_of_a_squeezed_or_other_input(tmp_path):
    import zarr

    # a (1, 4, 5) store read as 4 x 5: its 3-axis chunks do not fit the 2D output
    ref = read_image(_zarr(tmp_path / "in.zarr", LABELS[None].astype(np.uint8), chunks=(1, 2, 2),
                           attrs={"spacing": [9.0, 0.5, 0.7]}))
    out = zarr.open_array(str(write_like(tmp_path / "o.zarr", LABELS, ref)), mode="r")
    assert out.shape == (4, 5) and out.attrs["spacing"] == [0.5, 0.7]
    np.testing.assert_array_equal(out[...], LABELS)
    out = zarr.open_array(str(write_like(tmp_path / "p.zarr", np.ones((2, 4, 5)), ref, kind="probabilities")),
                          mode="r")
    assert out.chunks == (1, 2, 2)
    png = Image(np.zeros((4, 5), np.float32), "png")  # no voxel size, no chunks
    out = zarr.open_array(str(write_like(tmp_path / "q.zarr", LABELS, png)), mode="r")
    assert dict(out.attrs) == {"kind": "labels", "written_by": "synthzoo predict"}
    nii = Image(np.zeros((4, 5), np.float32), "nifti", (0.5, 2.0))
    out = zarr.open_array(str(write_like(tmp_path / "n.zarr", LABELS, nii)), mode="r")
    assert out.attrs["spacing"] == [0.5, 2.0]
    # an image made by hand without a voxel size keeps the one its Zarr attributes name
    made = Image(np.zeros((4, 5), np.float32), "zarr", None, {"attrs": {"spacing": [3.0, 4.0], "x": 1}})
    out = zarr.open_array(str(write_like(tmp_path / "m.zarr", LABELS, made)), mode="r")
    assert dict(out.attrs) == {"spacing": [3.0, 4.0], "kind": "labels", "written_by": "synthzoo predict"}


def test_every_listed_format_has_a_reader_and_every_writable_one_a_writer():
    assert io.FORMATS == ("nifti", "tiff", "png", "dicom", "zarr", "jpeg", "bmp")
    assert set(io._READERS) == set(io.FORMATS)
    assert set(io._WRITERS) == set(io.FORMATS) - set(io.READ_ONLY) == set(io.OUTPUT_SUFFIXES.values())


# --------------------------------------------------------------------------- output formats
@pytest.mark.parametrize("name,input_format,kind,fmt", [
    ("o.nii.gz", "png", "labels", "nifti"), ("O.NII", "png", "labels", "nifti"), ("o.tif", "png", "labels", "tiff"),
    ("o.tiff", "nifti", "labels", "tiff"), ("o.png", "nifti", "labels", "png"), ("o.dcm", "dicom", "labels", "dicom"),
    ("o.dicom", "dicom", "labels", "dicom"), ("o.zarr", "png", "labels", "zarr"), ("o", "tiff", "labels", "tiff"),
    (".hidden", "png", "labels", "png"), ("p.nii.gz", "png", "probabilities", "nifti"),
    ("p.tif", "dicom", "probabilities", "tiff"), ("p.zarr", "png", "probabilities", "zarr"),
    ("p", "nifti", "probabilities", "nifti"),
])
def test_output_format(tmp_path, name, input_format, kind, fmt):
    assert io.output_format(tmp_path / name, input_format, kind=kind) == fmt


@pytest.mark.parametrize("name,input_format,kind,msg", [
    ("o.jpg", "png", "labels", r"o.jpg: cannot write .jpg files; valid: .nii.gz, .nii, .tif, .tiff, .png, .dcm, "
                               r".dicom, .zarr \(or no extension: the input's format\)$"),
    ("o.tar.gz", "png", "labels", r"o.tar.gz: cannot write .tar.gz files; valid:"),
    ("X.raw", "png", "labels", r"X.raw: cannot write .raw files"),
    ("p.png", "png", "probabilities", r"p.png: probabilities need a float format; use .nii.gz, .tif or .zarr$"),
    ("p.dcm", "dicom", "probabilities", r"p.dcm: probabilities need a float format"),
    ("p", "png", "probabilities", r"p: probabilities need a float format"),
    ("o.dcm", "nifti", "labels", r"o.dcm: a DICOM label map needs a DICOM input \(for its header\)$"),
])
def test_output_format_refuses(tmp_path, name, input_format, kind, msg):
    with pytest.raises(ImageFileError, match=rf"^{re.escape(str(tmp_path))}/{msg}"):
        io.output_format(tmp_path / name, input_format, kind=kind)


def test_is_output_store(tmp_path):
    import json

    assert not io.is_output_store(tmp_path / "missing")
    ours = {"node_type": "array", "attributes": {"kind": "labels", "written_by": "synthzoo predict"}}
    for name, content, kind, expected in [
        ("ours", ours, "labels", True), ("ours", ours, "probabilities", False),
        ("group", {**ours, "node_type": "group"}, "labels", False),
        ("other", {"node_type": "array", "attributes": {"kind": "labels", "written_by": "me"}}, "labels", False),
        ("bare", {"node_type": "array"}, "labels", False), ("list", [1, 2], "labels", False),
        ("attrs", {"node_type": "array", "attributes": ["kind"]}, "labels", False),
    ]:
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "zarr.json").write_text(json.dumps(content))
        assert io.is_output_store(tmp_path / name, kind) is expected, (name, kind)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "zarr.json").write_text("{not json")
    assert io.is_output_store(tmp_path / "broken") is False
    assert io.is_output_store(tmp_path / "ours") is True  # labels by default


def test_output_target(tmp_path):
    import json

    t = io.output_target(tmp_path / "o.zarr", "png", kind="probabilities", option="--probabilities")
    assert (t.path, t.folder, t.what, t.option) == (tmp_path / "o.zarr", True, "probabilities store", "--probabilities")
    (tmp_path / "o.zarr").mkdir()
    (tmp_path / "o.zarr" / "zarr.json").write_text(json.dumps(
        {"node_type": "array", "attributes": {"kind": "probabilities", "written_by": "synthzoo predict"}}))
    assert t.own(tmp_path / "o.zarr") is True
    assert io.output_target(tmp_path / "o.zarr", "png").own(tmp_path / "o.zarr") is False  # labels
    t = io.output_target(tmp_path / "o.png", "png")
    assert (t.folder, t.what, t.own, t.option) == (False, "labels file", None, "OUTPUT")
    with pytest.raises(ImageFileError, match="cannot write .jpg"):
        io.output_target(tmp_path / "o.jpg", "png")


def test_check_writable_2d_formats(tmp_path):
    ref2, ref3 = Image(np.zeros((4, 5), np.float32), "dicom"), Image(np.zeros((4, 5, 2), np.float32), "dicom")
    assert io.check_writable(tmp_path / "o.png", (4, 5), ref2) == "png"
    assert io.check_writable(tmp_path / "o.dcm", (4, 5), ref2) == "dicom"
    assert io.check_writable(tmp_path / "p.tif", (3, 4, 5), ref2, kind="probabilities") == "tiff"
    assert io.check_writable(tmp_path / "p.tif", (3, 4, 5, 2), ref3, kind="probabilities") == "tiff"
    with pytest.raises(ImageFileError, match=rf"^{re.escape(str(tmp_path))}/o.png: PNG holds 2D images only, the input "
                                             r"is 3D \(4, 5, 2\); use .nii.gz, .tif or .zarr$"):
        io.check_writable(tmp_path / "o.png", (4, 5, 2), ref3)
    with pytest.raises(ImageFileError, match=r"o.dcm: DICOM holds 2D images only, the input is 3D"):
        io.check_writable(tmp_path / "o.dcm", (4, 5, 2), ref3)
    with pytest.raises(ImageFileError, match=r"o.png: PNG holds 2D images only, the input is 1D \(5,\)"):
        io.check_writable(tmp_path / "o.png", (5,), ref2)


# --------------------------------------------------------------------------- writer, write_like
def test_writer_errors_name_the_output_not_the_temporary(tmp_path, monkeypatch):
    ref = Image(np.zeros((4, 5), np.float32), "png")
    write = io.writer(tmp_path / "o.png", LABELS, ref)
    with pytest.raises(ImageFileError, match=rf"^{re.escape(str(tmp_path))}/o.png: cannot write png "
                                             r"\(FileNotFoundError: .+\)$"):
        write(tmp_path / "missing" / ".o.partial.png")
    write(tmp_path / "t.png")
    np.testing.assert_array_equal(_pil(tmp_path / "t.png")[1], LABELS)
    io.writer(tmp_path / "o.zarr", LABELS, ref)(tmp_path / "t.zarr")  # labels unless told
    assert io.is_output_store(tmp_path / "t.zarr", "labels")

    def refuse(path, array, ref, kind):
        raise ImageFileError("as the writer says")

    monkeypatch.setitem(io._WRITERS, "png", refuse)
    with pytest.raises(ImageFileError, match=rf"^{re.escape(str(tmp_path))}/o.png: as the writer says$"):
        io.writer(tmp_path / "o.png", LABELS, ref)(tmp_path / "t2.png")  # named by the output
    with pytest.raises(ImageFileError, match="PNG holds 2D images only"):  # checked when made
        io.writer(tmp_path / "o.png", np.zeros((2, 2, 2)), ref)


def test_write_like_follows_the_output_policy(tmp_path, monkeypatch):
    from synthzoo._outputs import OutputError

    src = _png(tmp_path / "in.png", LABELS.astype(np.uint8))
    ref = read_image(src)
    with pytest.raises(OutputError, match="is the input"):
        write_like(src, LABELS, ref, overwrite=True)
    assert write_like(tmp_path / "o.png", LABELS, ref) == tmp_path / "o.png"
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        write_like(tmp_path / "o.png", LABELS * 2, ref)
    np.testing.assert_array_equal(_pil(tmp_path / "o.png")[1], LABELS)
    write_like(tmp_path / "o.png", LABELS * 2, ref, overwrite=True)
    np.testing.assert_array_equal(_pil(tmp_path / "o.png")[1], LABELS * 2)
    # an image that was not read from a file has no input to protect, even the current folder
    free = Image(np.zeros((4, 5), np.float32), "png")
    assert (free.spacing, free.meta, free.path) == (None, {}, None)
    monkeypatch.chdir(tmp_path)
    assert write_like("f.png", LABELS, free) == Path("f.png")
    np.testing.assert_array_equal(_pil(tmp_path / "f.png")[1], LABELS)

    def half(path, array, ref, kind):
        path.write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setitem(io._WRITERS, "png", half)
    with pytest.raises(ImageFileError, match=r"o.png: cannot write png \(OSError: disk full\)$"):
        write_like(tmp_path / "o.png", LABELS, ref, overwrite=True)
    np.testing.assert_array_equal(_pil(tmp_path / "o.png")[1], LABELS * 2)  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png", "in.png", "o.png"]  # no partial file


def test_tiff_output_with_three_on_the_last_axis_is_grey_not_rgb(tmp_path):
    import tifffile

    vol = np.zeros((4, 5, 3), int)
    vol[1, 2] = (1, 2, 3)
    path = write_like(tmp_path / "o.tif", vol, Image(np.zeros((4, 5, 3), np.float32), "tiff"))
    with tifffile.TiffFile(path) as tif:
        assert tif.pages[0].photometric == tifffile.PHOTOMETRIC.MINISBLACK
        np.testing.assert_array_equal(tif.asarray(), vol)


def test_dicom_label_map_has_complete_file_meta_even_if_the_input_had_not(tmp_path):
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()  # only the transfer syntax: no class or instance UID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(tmp_path / "in.dcm"), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, generate_uid()
    ds.Rows, ds.Columns = LABELS.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = LABELS.astype(np.uint16).tobytes()
    pydicom.dcmwrite(str(tmp_path / "in.dcm"), ds, enforce_file_format=False)
    assert "MediaStorageSOPClassUID" not in pydicom.dcmread(str(tmp_path / "in.dcm")).file_meta
    out = pydicom.dcmread(str(write_like(tmp_path / "o.dcm", LABELS, read_image(tmp_path / "in.dcm"))))
    assert out.file_meta.MediaStorageSOPClassUID == SecondaryCaptureImageStorage
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID != ds.SOPInstanceUID
    assert "FileMetaInformationVersion" in out.file_meta
