"""The process-measuring speed jobs: `bench inference` (chunked Dask vs MONAI) and `bench
predict` (the predict command as a user runs it), in quick mode, and the measuring itself."""

import json
import sys

import numpy as np
import pytest
import zarr
from typer.testing import CliRunner

from synthzoo.benchmarks.speed.inference import InferenceConfig, agreement, make_volume
from synthzoo.benchmarks.speed.timing import THREAD_ENV, run_measured
from synthzoo.cli import app

runner = CliRunner()


def test_run_measured_reports_the_childs_own_peak_memory_and_exit():
    small = run_measured([sys.executable, "-c", "print('hi')"])
    big = run_measured([sys.executable, "-c", "import numpy as np; a = np.ones(300 * 2**20 // 8); print(a.sum())"])
    assert small["returncode"] == 0 and small["stdout"].strip() == "hi"
    assert big["peak_rss_mb"] - small["peak_rss_mb"] > 250  # the 300 MB array, not the parent's
    assert big["wall_s"] > 0 and big["cpu_s"] > 0 and len(big["load_before"]) == 3
    bad = run_measured([sys.executable, "-c", "import sys; sys.exit('no such thing')"])
    assert bad["returncode"] == 1 and "no such thing" in bad["stderr"]
    slow = run_measured([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1)
    assert slow["timed_out"] and slow["wall_s"] < 20


def test_input_volume_is_written_slab_by_slab_and_reused(tmp_path):
    path = make_volume(tmp_path / "v.zarr", 40, seed=1)
    z = zarr.open_array(str(path), mode="r")
    assert z.shape == (40, 40, 40) and z.dtype == np.float32 and float(np.std(z[:])) > 0.05
    mtime = path.stat().st_mtime_ns
    assert make_volume(path, 40, seed=1) == path and path.stat().st_mtime_ns == mtime
    assert agreement(path, path) == 1.0


def _clear_thread_env(monkeypatch):
    """No threading variable but the CLI's own (dask.distributed sets some in this process)."""
    from synthzoo._threads import SET_BY_SYNTHZOO

    for var in THREAD_ENV:
        if var not in SET_BY_SYNTHZOO:
            monkeypatch.delenv(var, raising=False)


def test_bench_inference_quick_compares_both_tools(tmp_path, monkeypatch):
    _clear_thread_env(monkeypatch)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    r = runner.invoke(app, ["bench", "inference", "--quick", "--json", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    rows = {row["tool"]: row for row in res["rows"]}
    assert set(rows) == {"synthzoo", "monai"}
    for row in rows.values():
        assert row["size"] == 40 and row["inference_s"] > 0 and "error" not in row
        assert row["peak_rss_mb"] >= row["rss_before_mb"] > 50
        assert 0.9 < row["agreement"] <= 1.0  # same windows but for their placement
    labels = zarr.open_array(str(tmp_path / "data" / "labels-synthzoo-40.zarr"), mode="r")
    assert labels.shape == (40, 40, 40) and labels.dtype == np.uint8 and labels[:].max() < 4
    md = (tmp_path / "inference.md").read_text()
    a, b = rows["synthzoo"], rows["monai"]
    assert f"| 40^3 | {a['inference_s']:.1f} | {b['inference_s']:.1f} | {b['inference_s'] / a['inference_s']:.2f}x |" in md
    # the command that reproduces it, with the caller's threading variables in front
    assert f"Command: `OMP_NUM_THREADS=1 synthzoo bench inference --quick --out {tmp_path}`" in md


def test_bench_inference_rejects_bad_settings(tmp_path):
    with pytest.raises(ValueError, match="patch 20 must be a multiple of 2 \\*\\* \\(levels - 1\\) = 8"):
        InferenceConfig(patch=20, levels=4)
    r = runner.invoke(app, ["bench", "inference", "--overlap", "1", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "overlap must be in [0, 1), got 1.0" in r.output


def test_bench_predict_quick_runs_the_command_as_a_user_does(tmp_path, monkeypatch):
    _clear_thread_env(monkeypatch)
    r = runner.invoke(app, ["bench", "predict", "--quick", "--json", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    rows = {row["job"]: row for row in res["rows"]}
    assert set(rows) == {"png-96", "png-96-precision-float32", "png-96-overlap-0.5", "nifti-48",
                         "nifti-48-precision-float32"}
    for row in rows.values():
        assert "error" not in row, row
        assert row["wall_s"] > 0 and row["cpu_s"] > 0 and row["peak_rss_mb"] > 50
        assert row["target_s"] is None and row["met"] is None  # targets are for the full sizes
    assert rows["png-96"]["command"].startswith("synthzoo predict fluorescence-nuclei-unet-2d fluorescence-96.png")
    assert rows["png-96-overlap-0.5"]["command"].endswith("--overlap 0.5")
    assert 0.3 < rows["png-96"]["dice"] <= 1.0  # the generator's own labels as truth
    assert rows["nifti-48-precision-float32"]["command"].endswith("--precision float32")
    assert abs(rows["png-96"]["dice"] - rows["png-96-precision-float32"]["dice"]) < 0.02
    assert res["meta"]["precision_auto"] in ("bfloat16", "float32")
    assert (tmp_path / "data" / "nifti-48-labels.nii.gz").is_file()
    assert "OMP_WAIT_POLICY" not in res["meta"]["env"]  # the command sets it itself
    md = (tmp_path / "predict.md").read_text()
    assert "| png-96 | `synthzoo predict" in md
    assert f"Command: `synthzoo bench predict --quick --repeats 1 --out {tmp_path}`" in md
