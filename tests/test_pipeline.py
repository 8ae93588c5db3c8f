import json

from typer.testing import CliRunner

from synthzoo.cli import app


def test_run_default_quick_is_resumable(tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["run-default", "--out", str(out), "--quick"])
    assert r.exit_code == 0, r.output
    report = json.loads((out / "report.json").read_text())
    assert any("neuro-mri_2d.png" in p for p in report["previews"])
    assert all((out / "previews").joinpath(p.split("/")[-1]).exists() for p in report["previews"])
    stamp = {p: (out / "previews" / p.split("/")[-1]).stat().st_mtime_ns for p in report["previews"]}
    r = CliRunner().invoke(app, ["run-default", "--out", str(out), "--quick"])
    assert r.exit_code == 0, r.output
    # a second run finds the outputs complete and does not redo them
    assert stamp == {p: (out / "previews" / p.split("/")[-1]).stat().st_mtime_ns for p in report["previews"]}
