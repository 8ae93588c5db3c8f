"""The published board (leaderboard/ at the repository root): site + records + README, one
command to regenerate it."""

import json
from pathlib import Path

from typer.testing import CliRunner

from synthzoo.cli import app
from synthzoo.leaderboard.publish import COMMAND
from synthzoo.leaderboard.site import is_site

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def test_publish_builds_the_site_with_its_records_and_a_readme(tmp_path, rows, records_file):
    path = records_file(rows)
    out = tmp_path / "leaderboard"
    r = runner.invoke(app, ["leaderboard", "publish", str(path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert f"published: {out} (open {out / 'index.html'})" in r.output
    assert is_site(out) and (out / "index.html").is_file()
    # the records are in it once, byte for byte the validated input
    assert (out / "data" / "records.jsonl").read_text().splitlines() == path.read_text().splitlines()
    readme = (out / "README.md").read_text()
    assert f"- records: {len(rows)} (" in readme
    assert "- models: multi-otsu, narrow-t1, unet" in readme
    assert "- test sets: fluorescence-nuclei, neuro-contrasts" in readme
    assert "commit 0123456789ab;" in readme and "uncommitted" not in readme
    assert f"`{COMMAND}`" in readme
    # publishing again replaces the previous board; a folder that is not a board is refused
    rows[0]["git_dirty"] = True
    r = runner.invoke(app, ["leaderboard", "publish", str(records_file(rows)), "--out", str(out)])
    assert r.exit_code == 0 and "(with uncommitted changes)" in (out / "README.md").read_text()
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    r = runner.invoke(app, ["leaderboard", "publish", str(path), "--out", str(other)])
    assert r.exit_code == 2 and "is not a leaderboard site" in r.output
    assert (other / "keep.txt").read_text() == "mine"


def test_the_regenerating_script_runs_the_default_suite_then_publishes():
    script = (ROOT / "scripts" / "publish_leaderboard.sh").read_text()
    assert COMMAND == "bash scripts/publish_leaderboard.sh"
    lines = [ln for ln in script.splitlines() if ln.startswith("synthzoo ")]
    # its own records folder: the main job's out/benchmark holds single-pass (-nomirror) runs
    assert lines == ["synthzoo bench run full --root out/testsets --out out/published \"$@\"",
                     "synthzoo leaderboard publish out/published/records.jsonl --out leaderboard"]
    assert COMMAND in (ROOT / "README.md").read_text()


def test_the_published_board_is_a_valid_site_of_the_default_suite():
    board = ROOT / "leaderboard"
    marker = json.loads((board / "leaderboard.json").read_text())
    assert is_site(board) and marker["records"] > 0
    r = runner.invoke(app, ["leaderboard", "validate", str(board / "data" / "records.jsonl")])
    assert r.exit_code == 0, r.output
    import synthzoo.datasets as ds

    records = [json.loads(line) for line in (board / "data" / "records.jsonl").open()]
    sizes = {(r["testset"], r["testset_size"]) for r in records}
    assert not [r["model_version"] for r in records if "nomirror" in r["model_version"]]  # full: mirrored
    assert sizes == {(name, ds.get_builder(name).default_size) for name, _ in sizes}  # not quick sizes
    assert sum(p.stat().st_size for p in board.rglob("*") if p.is_file()) < 3_000_000
