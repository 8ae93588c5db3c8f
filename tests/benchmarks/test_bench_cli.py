import json

import typer
from typer.testing import CliRunner

from synthzoo.benchmarks.run_cli import register_run


def _app():
    app = typer.Typer()
    register_run(app)
    return app


def test_bench_run_and_table_in_process(tmp_path):
    app, cli = _app(), CliRunner()
    out, root = tmp_path / "bench", tmp_path / "testsets"
    args = ["run", "--models", "multi-otsu,kmeans", "--testsets", "fluorescence-nuclei", "--root", str(root),
            "--out", str(out), "quick"]
    r = cli.invoke(app, args + ["--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)
    assert (s["runs"], s["new"], s["skipped"]) == (6, 6, 0)  # 2 baselines x 3 contrasts
    lines = (out / "records.jsonl").read_text().splitlines()
    assert len(lines) == 6 * 2  # background and nucleus per case
    rows = [json.loads(x) for x in lines]
    nuc = [r for r in rows if r["label"] == "nucleus"]
    assert all(0 <= r["object_f1"] <= 1 and r["hd95"] >= r["assd"] >= 0 for r in nuc)
    assert all(r["object_f1"] is None and r["hd95"] is not None for r in rows if r["label"] == "background")
    r = cli.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "| kmeans | classical baseline |" in r.output
    assert "suite quick: 6 run(s), 0 new, 6 already done (skipped)" in r.output and "in 1 process(es)" in r.output
    assert "once per image (no mirror averaging)" in r.output  # the quick suite, as the main job
    assert "  kmeans      fluorescence-nuclei       0 new    3 skipped" in r.output
    assert f"records: {out / 'records.jsonl'}" in r.output and f"tables: {out / 'benchmark.md'}" in r.output
    assert len((out / "records.jsonl").read_text().splitlines()) == 12
    r = cli.invoke(app, ["table", "--out", str(out)])
    assert r.exit_code == 0 and r.output.startswith("### fluorescence")
    assert "| model | kind | widefield | confocal | light-sheet | in-domain (n/a) | unseen (all 3) |" in r.output


def test_bench_cli_errors_exit_2(tmp_path):
    app, cli = _app(), CliRunner()
    r = cli.invoke(app, ["run", "--models", "nope", "--out", str(tmp_path), "--quick"])
    assert r.exit_code == 2 and "unknown model 'nope'" in r.output
    r = cli.invoke(app, ["run", "nightly", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "error: unknown suite 'nightly'; available: quick, main, full" in r.output
    r = cli.invoke(app, ["run", "full", "--quick", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "quick=True contradicts suite 'full'" in r.output
    r = cli.invoke(app, ["run", "quick", "--workers", "0", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "workers must be >= 1, got 0" in r.output
    r = cli.invoke(app, ["table", "--out", str(tmp_path / "none")])
    assert r.exit_code == 2 and "no benchmark records" in r.output


def test_second_run_on_the_same_out_is_refused(tmp_path):
    from synthzoo.benchmarks.records import RecordStore

    app, cli = _app(), CliRunner()
    with RecordStore(tmp_path / "bench"):  # another run holds the folder
        r = cli.invoke(app, ["run", "--models", "kmeans", "--testsets", "fluorescence-nuclei", "--root",
                             str(tmp_path / "ts"), "--out", str(tmp_path / "bench"), "--quick"])
    assert r.exit_code == 2 and r.output.strip().splitlines() == [
        f"error: {tmp_path / 'bench'} is in use by another benchmark run (pid {__import__('os').getpid()}); "
        "wait for it to finish or use another --out"]


def test_run_and_table_are_in_the_main_cli():
    from synthzoo.cli import app as main_app

    r = CliRunner().invoke(main_app, ["bench", "--help"])
    assert r.exit_code == 0, r.output
    for cmd in ("run", "table", "speed", "steps"):
        assert cmd in r.output


def test_the_summary_says_how_the_networks_ran():
    from synthzoo.benchmarks.run_cli import summary_text

    s = {"suite": "main", "runs": 1, "new": 1, "skipped": 0, "seconds": 1.0, "workers": 1,
         "ran": [{"model": "m", "testset": "t", "new": 1, "skipped": 0}], "records": "r.jsonl"}
    assert "networks in bfloat16, once per image (no mirror averaging)" in summary_text(
        {**s, "precision": "bfloat16", "tta": False})
    assert "networks in float32, mirror averaged" in summary_text({**s, "precision": "float32", "tta": True})
