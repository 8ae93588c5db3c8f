"""The manifest covers metadata as well as bytes; verify reports every problem, one line each,
exit 1, never a traceback; builds check their limits and outputs before any work."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

import synthzoo.datasets as ds
from synthzoo.cli import app
from synthzoo.datasets.base import DatasetError

NAME = "micro-ct-pores"
A, B = "lab-50kv-lowdose-000", "lab-80kv-000"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _edit(path, fn):
    d = json.loads(path.read_text())
    fn(d)
    path.write_text(json.dumps(d))


def _verify_cli(root):
    r = invoke("datasets", "verify", NAME, "--root", root)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    assert "Traceback" not in r.output
    return r


def test_every_tampered_field_is_listed(copy_of):
    root = copy_of(NAME)
    store = root / f"{NAME}.zarr"
    assert ds.verify(NAME, root) == {**ds.verify(NAME, root), "ok": True, "problems": []}

    def case_a(d):
        a = d["attributes"]
        a["spacing"] = [0.02, 0.01, 0.01]
        a["contrast"] = "lab-80kv"
        a["units"] = "HU"
        a["sha256"]["image"] = "0" * 64
        a["note"] = "added"

    _edit(store / A / "zarr.json", case_a)
    _edit(store / "zarr.json", lambda d: d["attributes"]["card"].update(label_names=["bg", "solid", "x"]))
    rep = ds.verify(NAME, root)
    assert not rep["ok"] and all(r["ok"] for r in rep["arrays"])  # the bytes are intact
    fields = sorted(p.split(": ", 1)[1].split(" ")[1] for p in rep["problems"])
    assert fields == ["'contrast'", "'label_names'", "'note'", "'sha256'", "'spacing'", "'units'"]
    for line in (f"{NAME}/{A}: attribute 'spacing' does not match the manifest (now [0.02, 0.01, 0.01])",
                 f"{NAME}/{A}: attribute 'contrast' does not match the manifest (now \"lab-80kv\")",
                 f"{NAME}/{A}: attribute 'units' does not match the manifest (now \"HU\")",
                 f"{NAME}/{A}: attribute 'note' is not in the manifest (added: \"added\")",
                 f"{NAME}/card: field 'label_names' does not match the manifest (now [\"bg\", \"solid\", \"x\"])"):
        assert line in rep["problems"]
    r = _verify_cli(root)
    assert r.exit_code == 1
    fails = [line for line in r.output.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 6 and "CORRUPT, 6 problem(s)" in r.output
    # opening refuses the changed store (the spacing drives resampling in the benchmark)
    with pytest.raises(DatasetError, match="field 'label_names' does not match the manifest.*datasets verify"):
        ds.open(NAME, root)


def test_changed_case_attribute_stops_open(copy_of):
    root = copy_of(NAME)
    _edit(root / f"{NAME}.zarr" / B / "zarr.json", lambda d: d["attributes"].update(spacing=[1, 1, 1]))
    with pytest.raises(DatasetError, match=f"{NAME}/{B}: attribute 'spacing' does not match the manifest"):
        ds.open(NAME, root)


def test_every_damaged_array_is_listed(copy_of):
    root = copy_of(NAME)
    store = root / f"{NAME}.zarr"
    (store / A / "labels" / "c" / "0" / "0" / "0").unlink()  # missing chunk
    (store / B / "image" / "zarr.json").write_text("{not json")  # malformed array metadata
    (store / B / "mask" / "c" / "0" / "0" / "0").write_bytes(b"garbage")  # undecodable chunk
    shutil.copytree(store / A, store / "stray-000")  # a case the manifest does not list
    rep = ds.verify(NAME, root)
    bad = {(r["case"], r["array"]): r["error"] for r in rep["arrays"] if not r["ok"]}
    assert set(bad) == {(A, "labels"), (B, "image"), (B, "mask")}
    assert "1 chunk file(s) missing, first at [0:16, 0:16, 0:16]" in bad[(A, "labels")]
    assert "array metadata (zarr.json) unreadable" in bad[(B, "image")]
    assert f"{NAME}/{B}/mask" in bad[(B, "mask")] and "cannot be read" in bad[(B, "mask")]
    assert rep["problems"] == [f"{NAME}/stray-000: case group not in the manifest"]
    r = _verify_cli(root)
    assert r.exit_code == 1
    assert all("\n" not in e for e in bad.values())
    assert sum(line.startswith("FAIL") for line in r.output.splitlines()) == 4
    with pytest.raises(DatasetError, match="missing|unreadable"):
        ds.open(NAME, root)


def test_missing_case_group_and_manifest_are_reported(copy_of):
    root = copy_of(NAME)
    store = root / f"{NAME}.zarr"
    shutil.rmtree(store / A)
    rep = ds.verify(NAME, root)
    assert f"{NAME}/{A}: case group missing from {store}" in rep["problems"]
    assert {r["array"] for r in rep["arrays"] if not r["ok"]} == {"image", "labels", "mask"}
    (store / "manifest.json").write_text("[1, 2")
    rep = ds.verify(NAME, root)
    assert not rep["ok"] and any("unreadable manifest" in p for p in rep["problems"])
    assert _verify_cli(root).exit_code == 1


def test_old_manifest_without_metadata_is_not_verified(copy_of):
    root = copy_of(NAME)
    _edit(root / f"{NAME}.zarr" / "manifest.json", lambda d: d.pop("metadata"))
    rep = ds.verify(NAME, root)
    assert not rep["ok"] and all(r["ok"] for r in rep["arrays"])
    assert len(rep["problems"]) == 1 and "no metadata checksums" in rep["problems"][0]
    ds.open(NAME, root)  # still readable


# -- build limits and outputs -----------------------------------------------------------------


def test_root_that_is_a_file(tmp_path, refused):
    f = tmp_path / "file"
    f.write_text("mine")
    refused(invoke("datasets", "build", "em-cells", "--root", f, "--size", "64"), f"{f}: not a folder")
    refused(invoke("datasets", "build", "em-cells", "--root", f / "sub", "--size", "64"), "is not a folder")
    assert f.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.parametrize("args,needle", [
    (["em-cells", "--size", "1000000"], "em-cells: size 1000000 needs about"),
    (["neuro-contrasts", "--size", "100000"], "neuro-contrasts: size 100000 is too large; valid: 32 to 240"),
    (["em-cells", "--size", "8"], "too small; use at least 64"),
    (["em-cells", "--cases", "1000000"], "--cases 1000000: valid: 1 to 1000 per contrast"),
    (["em-cells", "--cases", "0"], "--cases 0: valid: 1 to"),
])
def test_limits_checked_before_work(tmp_path, args, needle, refused):
    refused(invoke("datasets", "build", *args, "--root", tmp_path / "r"), needle)
    assert not (tmp_path / "r").exists()


def test_disk_estimate_checked_before_work(tmp_path, monkeypatch):
    import synthzoo._limits as limits

    monkeypatch.setattr(limits, "free_disk", lambda path: 1000)
    with pytest.raises(DatasetError, match=r"em-cells: 3 case\(s\) of size 64 needs about 72.0 KiB on disk; 1000 B free"):
        ds.build("em-cells", tmp_path, size=64)
    assert list(tmp_path.iterdir()) == []


def test_foreign_store_folder_is_never_replaced(tmp_path, refused):
    mine = tmp_path / "em-cells.zarr"
    mine.mkdir()
    (mine / "zarr.json").write_text(json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {}}))
    (mine / "data.bin").write_bytes(b"\0\1")
    for extra in ([], ["--force"], ["--overwrite"]):
        refused(invoke("datasets", "build", "em-cells", "--root", tmp_path, "--size", "64", *extra),
                 "is an existing folder that is not a previous em-cells test-set store")
    (tmp_path / ".em-cells.zarr.partial").write_text("not a folder")
    shutil.rmtree(mine)
    mine.write_text("a file")
    refused(invoke("datasets", "build", "em-cells", "--root", tmp_path, "--size", "64", "--force"), "is a file")
    assert mine.read_text() == "a file" and (tmp_path / ".em-cells.zarr.partial").read_text() == "not a folder"
    mine.unlink()
    refused(invoke("datasets", "build", "em-cells", "--root", tmp_path, "--size", "64"), ".em-cells.zarr.partial: is a file")


def test_overwrite_rebuilds_own_store(tiny_root, tmp_path):
    shutil.copytree(tiny_root / f"{NAME}.zarr", tmp_path / f"{NAME}.zarr")
    r = invoke("datasets", "build", NAME, "--root", tmp_path, "--size", "24", "--overwrite", "--contrast", "lab-80kv")
    assert r.exit_code == 0, r.output
    assert list(ds.open(NAME, tmp_path).cases) == [B]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{NAME}.zarr"]
    assert ds.verify(NAME, tmp_path)["ok"]


def test_figure_output_checked_before_reading(tiny_root, tmp_path, refused):
    (tmp_path / "fig.png").write_bytes(b"old figure")
    refused(invoke("datasets", "figure", NAME, "--root", tiny_root, "--out", tmp_path / "fig.png"),
             "exists; pass --overwrite")
    refused(invoke("datasets", "figure", NAME, "--root", tiny_root, "--out", tmp_path / "fig.jpg"),
             "cannot write .jpg; valid: .png, .pdf, .svg")
    refused(invoke("datasets", "figure", NAME, "--root", tiny_root, "--out", tmp_path), "is a folder")
    assert (tmp_path / "fig.png").read_bytes() == b"old figure"
    r = invoke("datasets", "figure", NAME, "--root", tiny_root, "--out", tmp_path / "fig.png", "--overwrite")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"


def test_unreadable_root_and_case_group_metadata(copy_of):
    root = copy_of(NAME)
    store = root / f"{NAME}.zarr"
    (store / A / "zarr.json").write_text("]")
    rep = ds.verify(NAME, root)
    assert any(p.startswith(f"{NAME}/{A}: case group unreadable") for p in rep["problems"])
    assert {r["error"] for r in rep["arrays"] if r["case"] == A} == {
        f"{NAME}/{A}/{k}: not checked: case group unreadable" for k in ("image", "labels", "mask")}
    assert all(r["ok"] for r in rep["arrays"] if r["case"] != A)
    (store / "zarr.json").write_text("{")
    rep = ds.verify(NAME, root)
    assert not rep["ok"] and any("not a readable Zarr group" in p for p in rep["problems"])
    r = _verify_cli(root)
    assert r.exit_code == 1 and "CORRUPT" in r.output
