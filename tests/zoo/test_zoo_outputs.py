"""`synthzoo predict` under the output policy: every output checked before inference, the
input and folders that are not previous outputs never touched, ``--overwrite`` to replace."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import synthzoo.zoo.predict as predict_mod
from synthzoo.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _digest(root):
    """sha256 of every file under ``root`` (relative name -> digest), links not followed."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for f in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = os.path.join(dirpath, f)
            rel = os.path.relpath(p, root)
            out[rel] = ("link:" + os.readlink(p)) if os.path.islink(p) else hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


@pytest.fixture
def png(tmp_path):
    """``in.png`` alone in a fresh folder (``tmp_path`` also holds the tiny model's files)."""
    img = (np.arange(24 * 20).reshape(24, 20) % 251).astype(np.uint8)
    (tmp_path / "w").mkdir()
    path = tmp_path / "w" / "in.png"
    Image.fromarray(img).save(path)
    return path


@pytest.fixture
def no_inference(monkeypatch):
    """Fail the test if inference starts (checks must come first)."""

    def boom(*a, **k):
        raise AssertionError("inference started before the outputs were checked")

    monkeypatch.setattr(predict_mod, "predict_array", boom)




def test_dotdot_and_existing_folder_are_never_removed(tiny, tmp_path, png, monkeypatch, no_inference, refused):
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "sibling").mkdir()
    (work / "sibling" / "keep.txt").write_text("precious")
    (work / "notes.txt").write_text("notes")
    (work / "results").mkdir()
    (work / "results" / "old.nii.gz").write_bytes(b"\1\2\3")
    before = _digest(tmp_path)
    monkeypatch.chdir(work / "sub")
    for out in ("..", ".", str(work / "results"), "../results", str(work / "sub" / "..")):
        for extra in ([], ["--overwrite"]):
            refused(invoke("predict", "tiny-test-2d", png, out, *extra))
    assert _digest(tmp_path) == before


def test_output_equal_to_input_isrefused(tiny, tmp_path, png, monkeypatch, no_inference, refused):
    tmp_path = png.parent
    before = png.read_bytes()
    monkeypatch.chdir(tmp_path)
    link = tmp_path / "link.png"
    link.symlink_to(png)
    for out in (png, "in.png", "./sub/../in.png", link):
        (tmp_path / "sub").mkdir(exist_ok=True)
        line = refused(invoke("predict", "tiny-test-2d", png, out, "--overwrite"), "is the input")
        assert str(Path(out)) in line
    import tifffile

    tif = tmp_path / "in.tif"
    tifffile.imwrite(tif, np.zeros((20, 20), np.uint8))
    tif_before = tif.read_bytes()
    refused(invoke("predict", "tiny-test-2d", tif, tmp_path / "o.zarr", "--probabilities", tif, "--overwrite"),
             "is the input")
    assert png.read_bytes() == before and link.is_symlink() and tif.read_bytes() == tif_before


def test_probabilities_equal_to_output_isrefused(tiny, tmp_path, png, no_inference, refused):
    tmp_path = png.parent
    out = tmp_path / "o.nii.gz"
    line = refused(invoke("predict", "tiny-test-2d", png, out, "--probabilities", out), "also given as OUTPUT")
    assert line.startswith(f"error: {out}")
    assert not out.exists()
    # the same file under another name, and a store inside the other
    refused(invoke("predict", "tiny-test-2d", png, tmp_path / "o.zarr", "--probabilities",
                    tmp_path / "o.zarr" / "p.zarr"), "also given as OUTPUT")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


@pytest.mark.parametrize("out,probs,needle", [
    ("o.jpg", None, "cannot write .jpg files; valid: .nii.gz"),
    ("missing/o.png", None, "does not exist; create it first"),
    ("o.png", "p.png", "probabilities need a float format"),
    ("o.nii.gz", "p.jpeg", "cannot write .jpeg"),
    ("o.dcm", None, "needs a DICOM input"),
    ("in.png/o.png", None, "is not a folder"),
])
def test_bad_outputs_fail_before_inference(tiny, tmp_path, png, no_inference, out, probs, needle, refused):
    tmp_path = png.parent
    args = ["predict", "tiny-test-2d", png, tmp_path / out]
    if probs:
        args += ["--probabilities", tmp_path / probs]
    line = refused(invoke(*args), needle)
    assert str(tmp_path / (out if needle != "probabilities need a float format" and "jpeg" not in needle else probs)) in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]  # nothing left behind


def test_3d_input_to_png_fails_before_inference(tiny, tmp_path, no_inference, refused):
    import tifffile

    tifffile.imwrite(tmp_path / "vol.tif", np.zeros((3, 20, 20), np.uint8) + 7, photometric="minisblack")
    refused(invoke("predict", "tiny-test-2d", tmp_path / "vol.tif", tmp_path / "o.png"), "PNG holds 2D images only")
    assert not (tmp_path / "o.png").exists()


def test_existing_output_needs_overwrite(tiny, tmp_path, png, refused):
    tmp_path = png.parent
    out = tmp_path / "o.png"
    out.write_bytes(b"user's file")
    refused(invoke("predict", "tiny-test-2d", png, out), "exists; pass --overwrite")
    assert out.read_bytes() == b"user's file"
    r = invoke("predict", "tiny-test-2d", png, out, "--overwrite")
    assert r.exit_code == 0, r.output
    assert np.asarray(Image.open(out)).shape == (24, 20)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png", "o.png"]  # no temporary left


def test_overwrite_replaces_only_a_previous_store_of_the_same_kind(tiny, tmp_path, png, refused):
    tmp_path = png.parent
    import zarr

    out, probs = tmp_path / "o.zarr", tmp_path / "p.zarr"
    r = invoke("predict", "tiny-test-2d", png, out, "--probabilities", probs)
    assert r.exit_code == 0, r.output
    assert zarr.open_array(str(out), mode="r").attrs["kind"] == "labels"
    refused(invoke("predict", "tiny-test-2d", png, out, "--probabilities", probs), "exists; pass --overwrite")
    r = invoke("predict", "tiny-test-2d", png, out, "--probabilities", probs, "--overwrite")
    assert r.exit_code == 0, r.output
    # a labels store is not a previous probabilities store, and a user's store is neither
    swapped = _digest(tmp_path)
    refused(invoke("predict", "tiny-test-2d", png, probs, "--overwrite"), "not a previous labels store")
    user = tmp_path / "mine.zarr"
    z = zarr.create_array(str(user), shape=(4, 4), dtype="uint8")
    z[...] = 9
    z.attrs["kind"] = "labels"  # looks similar, but was not written by synthzoo predict
    before = _digest(tmp_path)
    refused(invoke("predict", "tiny-test-2d", png, user, "--overwrite"), "not a previous labels store")
    assert _digest(tmp_path) == before and set(swapped) <= set(before)


def test_symlinked_output_is_replaced_as_a_link_never_its_target(tiny, tmp_path, png, refused):
    tmp_path = png.parent
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.png").write_bytes(b"keep")
    link = tmp_path / "o.png"
    link.symlink_to(target / "keep.png")
    refused(invoke("predict", "tiny-test-2d", png, link), "exists; pass --overwrite")
    r = invoke("predict", "tiny-test-2d", png, link, "--overwrite")
    assert r.exit_code == 0, r.output
    assert not link.is_symlink() and (target / "keep.png").read_bytes() == b"keep"
    # a link to a folder is refused like the folder
    dlink = tmp_path / "d.zarr"
    dlink.symlink_to(target, target_is_directory=True)
    refused(invoke("predict", "tiny-test-2d", png, dlink, "--overwrite"), "not a previous labels store")
    assert (target / "keep.png").read_bytes() == b"keep" and dlink.is_symlink()


def test_failed_write_leaves_no_outputs(tiny, tmp_path, png, monkeypatch, refused):
    tmp_path = png.parent
    import synthzoo.zoo.imageio as imageio

    out, probs = tmp_path / "o.nii.gz", tmp_path / "p.nii.gz"
    out.write_bytes(b"old labels")
    real = imageio._write_nifti

    def fail_probs(path, array, ref, kind):
        if kind == "probabilities":
            raise OSError("disk full")
        real(path, array, ref, kind)

    monkeypatch.setitem(imageio._WRITERS, "nifti", fail_probs)
    r = invoke("predict", "tiny-test-2d", png, out, "--probabilities", probs, "--overwrite")
    refused(r, f"{probs}: cannot write nifti", "disk full")
    assert out.read_bytes() == b"old labels" and not probs.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png", "o.nii.gz"]


@pytest.mark.parametrize("args,needle", [
    (["--device", "bogus"], "--device 'bogus': unknown device; valid: cpu, cuda"),
    (["--device", "meta"], "--device 'meta': not supported"),
    (["--spacing", "inf"], "--spacing inf: must be finite and > 0"),
    (["--spacing", "nan"], "must be finite and > 0"),
    (["--spacing", "0"], "--spacing 0.0: must be finite and > 0"),
    (["--spacing", "-1"], "--spacing -1.0: must be finite and > 0"),
    (["--spacing", "1e6"], "needs about"),
    (["--spacing", "1e-6"], "resamples the 24x20 image to 1x1 voxels"),
    (["--overlap", "1"], "--overlap 1.0: must be in [0, 1)"),
])
def test_limits_are_one_line_before_inference(tiny, tmp_path, png, no_inference, args, needle, refused):
    tmp_path = png.parent
    refused(invoke("predict", "tiny-test-2d", png, tmp_path / "o.png", *args), needle)
    assert not (tmp_path / "o.png").exists()


def test_zero_voxel_size_in_the_file_isrefused(tiny, tmp_path, no_inference, refused):
    import zarr

    z = zarr.create_array(str(tmp_path / "z.zarr"), shape=(16, 16), dtype="float32")
    z[...] = 1.0
    z.attrs["spacing"] = [0.0, 0.0]
    refused(invoke("predict", "tiny-test-2d", tmp_path / "z.zarr", tmp_path / "o.zarr"),
             "z.zarr: voxel size 0.0: must be finite and > 0")


def test_one_pixel_tiff_and_png_agree(tiny, tmp_path):
    import tifffile

    from synthzoo.zoo.imageio import read_image

    tifffile.imwrite(tmp_path / "one.tif", np.array([[5]], np.uint8))
    Image.fromarray(np.array([[5]], np.uint8)).save(tmp_path / "one.png")
    assert read_image(tmp_path / "one.tif").data.shape == read_image(tmp_path / "one.png").data.shape == (1, 1)
    for name in ("one.tif", "one.png"):
        out = tmp_path / f"o_{name}"
        r = invoke("predict", "tiny-test-2d", tmp_path / name, out)
        assert r.exit_code == 0, r.output
        assert read_image(out).data.shape == (1, 1)
