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
