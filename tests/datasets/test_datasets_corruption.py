"""Bad stores give clear errors naming the test set and case; nothing is silently skipped."""

from __future__ import annotations

import json

import numpy as np
import pytest
import zarr
from typer.testing import CliRunner

import synthzoo.datasets as ds
from synthzoo.cli import app
from synthzoo.datasets.base import DatasetError

NAME, CASE = "micro-ct-pores", "lab-50kv-lowdose-000"


def _case_dir(root):
    return root / f"{NAME}.zarr" / CASE


def test_missing_chunk(copy_of):
    root = copy_of(NAME)
    (_case_dir(root) / "labels" / "c" / "0" / "0" / "0").unlink()
    with pytest.raises(DatasetError, match=f"{NAME}/{CASE}/labels: chunk \\[0:16, 0:16, 0:16\\] is missing"):
        ds.open(NAME, root)


def test_damaged_chunk(copy_of):
    root = copy_of(NAME)
    f = _case_dir(root) / "image" / "c" / "0" / "0" / "0"
    data = f.read_bytes()  # payload zeroed, length kept (see test_datasets_contract)
    f.write_bytes(data[:16] + bytes(len(data) - 16))
    ts = ds.open(NAME, root)  # the file exists; the damage shows when it is read
    with pytest.raises(DatasetError, match=f"{NAME}/{CASE}/image: cannot read chunk"):
        ts[CASE].image.sum().compute()
    ts["lab-80kv-000"].image.sum().compute()  # other cases are fine
    rep = ds.verify(NAME, root)
    bad = [r for r in rep["arrays"] if not r["ok"]]
    assert not rep["ok"] and [(r["case"], r["array"]) for r in bad] == [(CASE, "image")]
    assert CASE in bad[0]["error"] and "cannot be read" in bad[0]["error"]


@pytest.mark.parametrize("keep", [0, 10, -1])
def test_truncated_chunk_is_refused_at_open(copy_of, keep):
    # a truncated Blosc frame is not always refused by the decoder (it trusts the header's
    # size), so open compares each chunk file's size with its header
    root = copy_of(NAME)
    f = _case_dir(root) / "image" / "c" / "0" / "0" / "0"
    data = f.read_bytes()
    f.write_bytes(data[:keep] if keep >= 0 else data[:-1])
    want = f"{len(data)}" if keep < 0 or keep >= 16 else "nothing: shorter than a header"
    with pytest.raises(DatasetError, match=f"{NAME}/{CASE}/image: chunk \\[0:16, 0:16, 0:16\\] is damaged "
                                           f".*{max(keep, 0) if keep >= 0 else len(data) - 1} bytes, its Blosc header says {want}"):
        ds.open(NAME, root)


def test_chunk_truncated_after_open_is_refused_when_read(copy_of):
    root = copy_of(NAME)
    ts = ds.open(NAME, root)
    f = _case_dir(root) / "labels" / "c" / "0" / "0" / "0"
    f.write_bytes(f.read_bytes()[:-7])
    ts["lab-80kv-000"].labels.sum().compute()  # other cases are fine
    with pytest.raises(DatasetError, match=f"{NAME}/{CASE}/labels: chunk \\[0:16, 0:16, 0:16\\] is damaged"):
        ts[CASE].labels.sum().compute()
    with pytest.raises(DatasetError, match="is damaged"):
        np.asarray(ts[CASE].labels[2:5, 3:9, 1:2])  # a region inside the chunk


def test_wrong_shape(copy_of):
    root = copy_of(NAME)
    g = zarr.open_group(str(root / f"{NAME}.zarr"), mode="a")
    zarr.create_array(g.store, name=f"{CASE}/labels", shape=(16, 16, 8), dtype="uint8", chunks=(16, 16, 8),
                      fill_value=0, overwrite=True, config={"write_empty_chunks": True})[...] = 1
    with pytest.raises(DatasetError, match=f"{NAME}/{CASE}/labels: shape \\(16, 16, 8\\) uint8, but the manifest says \\(16, 16, 16\\)"):
        ds.open(NAME, root)


def test_image_label_shape_mismatch_in_manifest_and_store(copy_of):
    root = copy_of(NAME)
    g = zarr.open_group(str(root / f"{NAME}.zarr"), mode="a")
    zarr.create_array(g.store, name=f"{CASE}/labels", shape=(16, 16, 8), dtype="uint8", chunks=(16, 16, 8),
                      fill_value=0, overwrite=True, config={"write_empty_chunks": True})[...] = 1
    mpath = root / f"{NAME}.zarr" / "manifest.json"
    m = json.loads(mpath.read_text())
    m["cases"][CASE]["labels"]["shape"] = [16, 16, 8]
    mpath.write_text(json.dumps(m))
    with pytest.raises(DatasetError, match=f"{NAME}/{CASE}: image \\(16, 16, 16\\) and labels \\(16, 16, 8\\) differ"):
        ds.open(NAME, root)


def test_missing_attributes(copy_of):
    root = copy_of(NAME)
    meta = _case_dir(root) / "zarr.json"
    d = json.loads(meta.read_text())
    del d["attributes"]["spacing"], d["attributes"]["license"]
    meta.write_text(json.dumps(d))
    with pytest.raises(DatasetError, match=f"{NAME}/{CASE}: case attributes missing: spacing, license"):
        ds.open(NAME, root)


def test_missing_case_and_manifest(copy_of):
    root = copy_of(NAME)
    import shutil

    shutil.rmtree(_case_dir(root))
    with pytest.raises(DatasetError, match=f"{NAME}/{CASE}: case group missing"):
        ds.open(NAME, root)
    (root / f"{NAME}.zarr" / "manifest.json").unlink()
    with pytest.raises(DatasetError, match="no manifest.json"):
        ds.open(NAME, root)


def test_checksum_mismatch(copy_of):
    root = copy_of(NAME)
    arr = zarr.open_array(str(_case_dir(root) / "image"), mode="a")
    arr[3, 4, 5] = np.float32(arr[3, 4, 5]) + 1.0  # a valid chunk with other values
    rep = ds.verify(NAME, root)
    bad = [r for r in rep["arrays"] if not r["ok"]]
    assert [(r["case"], r["array"]) for r in bad] == [(CASE, "image")]
    assert f"{NAME}/{CASE}/image: checksum mismatch" in bad[0]["error"]
    res = CliRunner().invoke(app, ["datasets", "verify", NAME, "--root", str(root)])
    assert res.exit_code == 1 and f"FAIL {CASE}/image" in res.output and "CORRUPT" in res.output
