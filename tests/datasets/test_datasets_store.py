"""Build / open / info / verify round trip, lazy reading, determinism, resumable builds."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from typer.testing import CliRunner

import synthzoo.datasets as ds
from synthzoo.cli import app
from synthzoo.datasets.base import DatasetError
from synthzoo.datasets.store import partial_path, store_path


def test_build_is_deterministic_and_reused(tiny_root, tmp_path):
    p = ds.build("micro-ct-pores", tmp_path, size=16)
    a = json.loads((p / "manifest.json").read_text())
    b = json.loads((store_path("micro-ct-pores", tiny_root) / "manifest.json").read_text())
    assert a["cases"] == b["cases"]
    mtime = os.path.getmtime(p / "manifest.json")
    assert ds.build("micro-ct-pores", tmp_path, size=16) == p  # same settings: returned as is
    assert os.path.getmtime(p / "manifest.json") == mtime
    with pytest.raises(DatasetError, match="force"):
        ds.build("micro-ct-pores", tmp_path, size=24)
    ds.build("micro-ct-pores", tmp_path, size=24, force=True)
    assert ds.open("micro-ct-pores", tmp_path).cases["lab-80kv-000"].image.shape == (24, 24, 24)


def test_cases_and_contrast_selection(tmp_path):
    ds.build("em-cells", tmp_path, size=64, cases=2, contrasts=["tem"])
    ts = ds.open("em-cells", tmp_path)
    assert list(ts.cases) == ["tem-000", "tem-001"]
    a, b = (c.image.compute() for c in ts)
    assert not np.allclose(a, b)
    with pytest.raises(DatasetError, match="valid: tem, sbem, fibsem"):
        ds.build("em-cells", tmp_path / "x", size=64, contrasts=["xray"])
    with pytest.raises(DatasetError, match="at least 64"):
        ds.build("em-cells", tmp_path / "x", size=8)


def test_interrupted_build_leaves_no_complete_store_and_resumes(tmp_path, monkeypatch):
    from synthzoo.datasets.ultrasound import UltrasoundPhantoms

    calls = []
    original = UltrasoundPhantoms.write_case

    def flaky(self, spec, writer, **kw):
        calls.append(spec.name)
        if len(calls) == 2:
            writer.put("image", np.zeros((32, 32), np.float32))  # half-written case
            raise RuntimeError("power cut")
        return original(self, spec, writer, **kw)

    monkeypatch.setattr(UltrasoundPhantoms, "write_case", flaky)
    with pytest.raises(RuntimeError, match="power cut"):
        ds.build("ultrasound-phantoms", tmp_path, size=32)
    assert not store_path("ultrasound-phantoms", tmp_path).exists()
    assert partial_path("ultrasound-phantoms", tmp_path).exists()
    assert not (tmp_path / ".ultrasound-phantoms.lock").exists()
    with pytest.raises(DatasetError, match="only partly built"):
        ds.open("ultrasound-phantoms", tmp_path)
    ds.build("ultrasound-phantoms", tmp_path, size=32)  # resumes: case 1 is not redone
    assert calls == ["linear-7mhz-000", "curvilinear-3.5mhz-000", "curvilinear-3.5mhz-000", "phased-2.5mhz-000"]
    assert not partial_path("ultrasound-phantoms", tmp_path).exists()
    assert ds.verify("ultrasound-phantoms", tmp_path)["ok"]


def test_live_lock_blocks_a_second_build(tmp_path):
    tmp_path.joinpath(".em-cells.lock").write_text(str(os.getppid()))
    with pytest.raises(DatasetError, match="being built by process"):
        ds.build("em-cells", tmp_path, size=64)
    tmp_path.joinpath(".em-cells.lock").write_text("999999999")  # stale: taken over
    assert ds.build("em-cells", tmp_path, size=64).exists()


def test_unknown_and_unbuilt(tmp_path):
    with pytest.raises(KeyError, match="available: .*em-cells"):
        ds.open("em-cels", tmp_path)
    with pytest.raises(DatasetError, match="not built"):
        ds.open("em-cells", tmp_path)


def test_cli_round_trip(tmp_path):
    r = CliRunner()
    res = r.invoke(app, ["datasets", "build", "fluorescence-nuclei", "--root", str(tmp_path), "--size", "32"])
    assert res.exit_code == 0, res.output
    res = r.invoke(app, ["datasets", "list", "--root", str(tmp_path), "--json"])
    rows = {x["name"]: x for x in json.loads(res.output)}
    assert rows["fluorescence-nuclei"]["built"] and not rows["em-cells"]["built"]
    res = r.invoke(app, ["datasets", "info", "fluorescence-nuclei", "--root", str(tmp_path), "--json"])
    info = json.loads(res.output)
    assert info["contrasts"] == ["widefield", "confocal", "light-sheet"]
    assert [c["case"] for c in info["cases"]] == ["widefield-000", "confocal-000", "light-sheet-000"]
    assert info["cases"][0]["shape"] == [5, 32, 32]  # z step 3 on 16 isotropic slices
    res = r.invoke(app, ["datasets", "info", "fluorescence-nuclei", "--root", str(tmp_path)])
    assert "light-sheet-000" in res.output and "confocal" in res.output
    res = r.invoke(app, ["datasets", "verify", "fluorescence-nuclei", "--root", str(tmp_path), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["ok"]
    res = r.invoke(app, ["datasets", "memtest", "fluorescence-nuclei", "--root", str(tmp_path), "--json"])
    rep = json.loads(res.output)
    assert rep["stats"]["counts"] and 0 < rep["stats"]["threshold_dice"] <= 1
    res = r.invoke(app, ["datasets", "memtest", "fluorescence-nuclei", "--root", str(tmp_path), "--case", "confocal-000"])
    assert res.exit_code == 0 and "confocal-000" in res.output and "peak RSS growth" in res.output
    res = r.invoke(app, ["datasets", "figure", "fluorescence-nuclei", "--root", str(tmp_path), "--out", str(tmp_path / "f.png")])
    assert res.exit_code == 0 and (tmp_path / "f.png").stat().st_size > 10_000
    res = r.invoke(app, ["datasets", "info", "nope", "--root", str(tmp_path)])
    assert res.exit_code == 2 and "unknown test set 'nope'" in res.output


def test_build_all_quick_and_default_root(tmp_path, monkeypatch, tiny_sizes):
    for name, size in tiny_sizes.items():
        monkeypatch.setattr(ds.DATASETS.get(name), "quick_size", size)
    monkeypatch.setenv("SYNTHZOO_DATA", str(tmp_path))
    assert ds.default_root() == tmp_path / "datasets"
    paths = ds.build_all(quick=True)
    assert sorted(paths) == sorted(tiny_sizes)
    assert all(p == tmp_path / "datasets" / "quick" / f"{n}.zarr" and p.is_dir() for n, p in paths.items())
    mtimes = {n: os.path.getmtime(p / "manifest.json") for n, p in paths.items()}
    assert ds.build_all(quick=True) == paths  # resumable: nothing rebuilt
    assert mtimes == {n: os.path.getmtime(p / "manifest.json") for n, p in paths.items()}


def test_reading_is_lazy(tmp_path, monkeypatch):
    from synthzoo.datasets import store

    ds.build("em-cells", tmp_path, size=300, contrasts=["tem"])
    case = ds.open("em-cells", tmp_path)["tem-000"]
    assert case.image.numblocks == (2, 2)
    reads = []
    real = store._CheckedArray.__getitem__
    monkeypatch.setattr(store._CheckedArray, "__getitem__", lambda self, k: reads.append(k) or real(self, k))
    part = case.image[:10, 260:270].compute()
    assert part.shape == (10, 10) and len(reads) == 1  # one chunk of four was read


def test_parallel_slices_match_serial(tiny_root, tmp_path):
    ds.build("micro-ct-pores", tmp_path, size=16, contrasts=["lab-80kv"], workers=2)
    a = json.loads((store_path("micro-ct-pores", tmp_path) / "manifest.json").read_text())["cases"]
    b = json.loads((store_path("micro-ct-pores", tiny_root) / "manifest.json").read_text())["cases"]
    assert a["lab-80kv-000"] == b["lab-80kv-000"]
