import json
from pathlib import Path

from typer.testing import CliRunner

from synthzoo.cli import app


def _outputs(report):
    return ([Path(p) for p in report["previews"]] + [Path(p) for p in report["zoo"].values()]
            + [Path(t["figure"]) for t in report["testsets"].values()]
            + [Path(p) for p in report["benchmark"].values()] + [Path(report["leaderboard"]["index"])])


def test_run_default_quick_is_resumable(tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["run-default", "--out", str(out), "--quick"])
    assert r.exit_code == 0, r.output
    report = json.loads((out / "report.json").read_text())
    assert any(p.endswith("neuro-mri_2d.png") for p in report["previews"])
    assert "neuro-mri-tissue-unet-2d" in report["zoo"]
    from synthzoo.datasets import DATASETS
    assert set(report["testsets"]) == set(DATASETS.names())
    for t in report["testsets"].values():
        assert Path(t["store"], "manifest.json").exists()
    zoo = json.loads(Path(report["zoo"]["neuro-mri-tissue-unet-2d"]).read_text())
    assert set(zoo["dice"]) == {"t1", "pd", "t2"}
    # the bundled model separates grey from white matter on held-out anatomy
    assert zoo["dice"]["pd"]["white_matter"] > 0.5
    assert all(p.exists() for p in _outputs(report))
    # each stage's wall time is logged and reported
    assert list(report["seconds"]) == ["previews", "testsets", "zoo", "benchmark", "leaderboard"]
    assert all(v >= 0 for v in report["seconds"].values()) and "stage benchmark: " in r.output
    # the benchmark stage ran the bundled neuro model on every neuro contrast, baselines everywhere
    table = Path(report["benchmark"]["benchmark.md"]).read_text()
    assert "| neuro-mri-tissue-unet-2d | randomized |" in table and "| multi-otsu | classical baseline |" in table
    assert "### ultrasound" in table
    # and ended by building the leaderboard site from the records, saying where to open it
    index = Path(report["leaderboard"]["index"])
    assert f"leaderboard: open {index}" in r.output and index == out / "leaderboard" / "index.html"
    assert "neuro-mri-tissue-unet-2d" in index.read_text()
    n_records = len(Path(report["benchmark"]["records"]).read_text().splitlines())
    assert not list(out.rglob(".*.partial*"))
    stamp = {p: p.stat().st_mtime_ns for p in _outputs(report)}
    r = CliRunner().invoke(app, ["run-default", "--out", str(out), "--quick"])
    assert r.exit_code == 0, r.output
    # a second run finds the outputs complete and does not redo them
    assert stamp == {p: p.stat().st_mtime_ns for p in _outputs(report)}
    assert len(Path(report["benchmark"]["records"]).read_text().splitlines()) == n_records


def test_benchmark_workers_follow_the_usable_cores(monkeypatch, tmp_path):
    import os

    import pytest

    import synthzoo.pipeline as pipeline

    for cores, want in ((1, None), (2, 2), (3, 3), (16, 4)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid, n=cores: set(range(n)), raising=False)
        assert pipeline.auto_workers() == want
    seen = []
    monkeypatch.setattr(pipeline, "_previews", lambda *a: seen.append("previews") or [])
    monkeypatch.setattr(pipeline, "_testsets", lambda *a: {})
    monkeypatch.setattr(pipeline, "_zoo", lambda *a: {})
    monkeypatch.setattr(pipeline, "_benchmark", lambda out, quick, workers: seen.append(workers) or {"records": "r"})
    monkeypatch.setattr(pipeline, "_leaderboard", lambda *a: {})
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    for given, used in ((0, 2), (1, None), (None, None), (3, 3)):
        pipeline.run_default(tmp_path / "o", workers=given)
        assert seen[-1] == used
    with pytest.raises(ValueError, match="workers must be >= 0, got -1"):
        pipeline.run_default(tmp_path / "o", workers=-1)


def test_held_out_zoo_results_are_reused_only_for_the_same_weights_run_once_per_image(tmp_path, monkeypatch):
    """The zoo stage runs each network once per image and measures a model again when its JSON
    is of other weights or of mirror averaging (written before, without ``"tta": false``)."""
    from rich.progress import Progress

    import synthzoo.pipeline as pipeline
    import synthzoo.zoo.heldout as heldout

    calls = []

    def fake(model, card, *, slices=None, tta=True, device="cpu"):
        calls.append((card.name, tta))
        return {"t1": {"background": 1.0}}, {}

    monkeypatch.setattr(heldout, "evaluate", fake)

    def stage():
        calls.clear()
        with Progress(disable=True) as p:
            return pipeline._zoo(tmp_path, True, p, lambda s: None)

    paths = stage()
    assert len(paths) >= 2 and sorted(calls) == sorted((n, False) for n in paths)
    assert all(json.loads(Path(p).read_text())["tta"] is False for p in paths.values())
    assert stage() == paths and calls == []
    first, second = list(paths)[:2]
    other = json.loads(Path(paths[first]).read_text())
    other["sha256"] = "0" * 64
    Path(paths[first]).write_text(json.dumps(other))
    mirrored = json.loads(Path(paths[second]).read_text())
    del mirrored["tta"]
    Path(paths[second]).write_text(json.dumps(mirrored))
    stage()
    assert sorted(calls) == sorted([(first, False), (second, False)])
