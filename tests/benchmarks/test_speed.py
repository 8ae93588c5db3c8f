"""The speed benchmark in quick mode: structure of the results, ratios from measured times."""

import json
from dataclasses import asdict

import pytest
import torch
from typer.testing import CliRunner

from synthzoo.benchmarks.speed import SpeedConfig, SpeedResult, markdown, run_speed
from synthzoo.cli import app
from synthzoo.generators import GENERATORS

runner = CliRunner()


def test_cli_quick_pipeline_vs_torchio(tmp_path, monkeypatch):
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "GOMP_SPINCOUNT"):
        monkeypatch.delenv(var, raising=False)
    # a user-set value is recorded (not applied: torch is loaded); the CLI's own PASSIVE is not
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    r = runner.invoke(app, ["bench", "speed", "--quick", "--sizes", "16", "--no-others",
                            "--no-generators", "--json", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert json.loads((tmp_path / "speed.json").read_text()) == res
    rows = {row["tool"]: row for row in res["pipeline"]}
    assert set(rows) == {"synthzoo", "torchio"} and res["generators"] == []
    for row in rows.values():
        assert row["size"] == 16 and row["threads"] == 1 and len(row["times_s"]) == 2
        assert row["median_s"] > 0 and row["device"] == "cpu"
        assert row["ratio_to_synthzoo"] == pytest.approx(row["median_s"] / rows["synthzoo"]["median_s"])
    assert rows["synthzoo"]["ratio_to_synthzoo"] == 1.0
    md = (tmp_path / "speed.md").read_text()
    assert "| size | threads | synthzoo | torchio | torchio / synthzoo |" in md
    assert "| 16^3 | 1 | " in md and f"{rows['torchio']['ratio_to_synthzoo']:.1f}x |" in md
    assert res["meta"]["env"]["OMP_WAIT_POLICY"] == "ACTIVE"
    assert "`OMP_WAIT_POLICY=ACTIVE synthzoo bench speed --sizes 16 --threads 1 --repeats 2 --warmup 0 --no-generators --no-others" in md
    assert (tmp_path / "speed.png").read_bytes()[:4] == b"\x89PNG"
    assert not (tmp_path / "speed.partial.json").exists()
    assert res["meta"]["cpu_count"] >= 1 and len(res["meta"]["load_before"]) == 3


def test_every_registered_generator_is_timed_next_to_neuro_mri(tmp_path):
    cfg = SpeedConfig.quick(sizes=(16,), tools=(), gen_sizes=(16, 12), repeats=1)
    res = run_speed(cfg, tmp_path, progress=False)
    expected = {(name, d) for name, cls in GENERATORS.load_all().items() for d in cls.dims}
    got = {(r["generator"], r["dims"]): r for r in res.generators}
    assert set(got) == expected
    ref = {d: got[("neuro-mri", d)]["median_s"] for d in (2, 3)}
    for (name, d), r in got.items():
        assert r["size"] == (16 if d == 2 else 12)
        assert "error" not in r, f"{name} {d}D: timing raised: {r['error']}"
        assert r["median_s"] > 0
        assert r["ratio_to_neuro_mri"] == pytest.approx(r["median_s"] / ref[d])
    assert "error" not in got[("neuro-mri", 3)] and got[("neuro-mri", 3)]["ratio_to_neuro_mri"] == 1.0
    assert "| neuro-mri | 3D | 12^3 |" in markdown(res)


def test_a_generator_whose_timing_raises_is_recorded_as_an_error(tmp_path, monkeypatch):
    gens = {name: GENERATORS.get(name) for name in ("neuro-mri", "em")}
    monkeypatch.setattr(GENERATORS, "load_all", lambda: dict(gens))  # two generators: fast
    cls = gens["em"]

    def broken(self, *a, **k):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(cls, "forward", broken)
    cfg = SpeedConfig.quick(sizes=(16,), tools=(), gen_sizes=(16, 12), repeats=1)
    res = run_speed(cfg, tmp_path, progress=False)
    got = {(r["generator"], r["dims"]): r for r in res.generators}
    assert "broken on purpose" in got[("em", 2)]["error"] and got[("em", 2)]["median_s"] is None
    assert "error" not in got[("neuro-mri", 2)]
    assert "error: RuntimeError: broken on purpose" in markdown(res)


def test_interrupted_run_resumes_from_partial_measurements(tmp_path):
    cfg = SpeedConfig.quick(sizes=(16,), tools=(), generators=False)
    key = "pipeline/synthzoo/16/1"
    saved = {"tool": "synthzoo", "size": 16, "threads": 1, "device": "cpu", "spacing": 12.5,
             "median_s": 123.0, "min_s": 123.0, "times_s": [123.0, 123.0]}
    (tmp_path / "speed.partial.json").write_text(json.dumps({"config": asdict(cfg), "done": {key: saved}}))
    res = run_speed(cfg, tmp_path, progress=False)
    assert res.pipeline[0]["median_s"] == 123.0  # reused, not re-measured
    assert not (tmp_path / "speed.partial.json").exists()
    # a partial file from other settings is ignored
    (tmp_path / "speed.partial.json").write_text(json.dumps({"config": {"sizes": [99]}, "done": {key: saved}}))
    res = run_speed(cfg, tmp_path, progress=False)
    assert res.pipeline[0]["median_s"] < 123.0


def test_markdown_table_from_records():
    meta = {"config": {"sizes": [96], "threads": [2], "repeats": 5, "warmup": 1}, "cpu_count": 2,
            "processor": "x86_64", "platform": "Linux", "torch": "2.x", "device": "cpu",
            "load_before": [1.0, 1.0, 1.0], "load_after": [1.5, 1.0, 1.0], "command": "synthzoo bench speed"}
    rows = [{"tool": "synthzoo", "size": 96, "threads": 2, "median_s": 0.05, "ratio_to_synthzoo": 1.0},
            {"tool": "torchio", "size": 96, "threads": 2, "median_s": 0.6, "ratio_to_synthzoo": 12.0}]
    md = markdown(SpeedResult(meta=meta, pipeline=rows, skipped={"monai": "not installed"}))
    assert "| 96^3 | 2 | 0.050 s | 0.600 s | 12.0x |" in md
    assert "Skipped monai: not installed" in md
    assert "load average (1, 5, 15 min) before [1.0, 1.0, 1.0], after [1.5, 1.0, 1.0]" in md


def test_bad_options_give_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown tools \\['tio'\\]; available: torchio"):
        SpeedConfig(tools=("tio",))
    with pytest.raises(ValueError, match="sizes must be"):
        SpeedConfig(sizes=(4,))
    r = runner.invoke(app, ["bench", "speed", "--sizes", "a,b", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "--sizes must be comma-separated integers" in r.output
    if not torch.cuda.is_available():
        r = runner.invoke(app, ["bench", "speed", "--quick", "--device", "cuda", "--out", str(tmp_path)])
        assert r.exit_code == 2 and "no CUDA device" in r.output


@pytest.mark.gpu
def test_quick_benchmark_on_gpu(tmp_path):
    cfg = SpeedConfig.quick(sizes=(32,), device="cuda", tools=("torchio",), gen_sizes=(32, 24))
    res = run_speed(cfg, tmp_path, progress=False)
    rows = {r["tool"]: r for r in res.pipeline}
    assert rows["synthzoo"]["device"] == "cuda" and rows["torchio"]["device"] == "cpu"
    assert all(r["device"] == "cuda" for r in res.generators)


def test_step_times_cover_every_step():
    from synthzoo.generators.preview import make_generator

    r = runner.invoke(app, ["bench", "steps", "neuro-mri", "--size", "16", "--threads", "1",
                            "--repeats", "2", "--warmup", "0", "--json"])
    assert r.exit_code == 0, r.output
    times = json.loads(r.output)
    steps = make_generator("neuro-mri", size=16, dims=3).steps
    assert list(times) == ["sample_params", *[f"{i}:{type(s).__name__}" for i, s in enumerate(steps)], "total"]
    assert all(v >= 0 for v in times.values())
    assert times["total"] >= max(v for k, v in times.items() if k != "total")
    r = runner.invoke(app, ["bench", "steps", "nope"])
    assert r.exit_code == 2 and "unknown generator 'nope'" in r.output
