"""``synthzoo bench run`` and ``synthzoo bench table``: the generalization benchmark.

Wired into ``synthzoo bench`` by ``register_run(bench_app)`` in :mod:`synthzoo.benchmarks.cli`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer


def _split(values: Optional[List[str]]) -> Optional[list[str]]:
    """``--models a,b --models c`` -> ``[a, b, c]`` (``None`` when not given)."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def summary_text(summary: dict) -> str:
    """What ``bench run`` did, in a few lines: the suite, each model x test set (new runs and
    runs skipped as already done), the time, how the networks ran (precision, mirror averaging)
    and where the records and tables are."""
    where = (f"on {summary['workers']} worker(s) of {summary['scheduler']}" if summary.get("scheduler")
             else f"in {summary['workers']} process(es)")
    lines = [f"suite {summary['suite']}: {summary['runs']} run(s), {summary['new']} new, "
             f"{summary['skipped']} already done (skipped), {summary['seconds']} s {where}; networks in "
             f"{summary.get('precision', 'float32')}, "
             + ("mirror averaged" if summary.get("tta", True) else "once per image (no mirror averaging)")]
    width = max([len(r["model"]) for r in summary["ran"]] + [5])
    for r in summary["ran"]:
        lines.append(f"  {r['model']:<{width}}  {r['testset']:<22} {r['new']:>4} new {r['skipped']:>4} skipped")
    lines.append(f"records: {summary['records']}")
    if summary.get("tables"):
        lines.append("tables: " + ", ".join(summary["tables"].values()))
    return "\n".join(lines)


def register_run(bench_app: typer.Typer) -> None:
    """Add ``run`` and ``table`` to the ``synthzoo bench`` app."""

    @bench_app.command("run")
    def run_cmd(
        suite: Optional[str] = typer.Argument(None, help="Suite: quick (tiny test sets, one case per contrast; minutes on 2 CPU cores), main (default sizes, one case per contrast; the main job's) or full (default sizes, every case) [full]."),
        models: Optional[List[str]] = typer.Option(None, "--models", help="Models (comma-separated or repeated) (default: the suite's: every bundled zoo model and baseline)."),
        testsets: Optional[List[str]] = typer.Option(None, "--testsets", help="Test sets (comma-separated or repeated) (default: the suite's: all)."),
        root: Optional[Path] = typer.Option(None, "--root", help="Test-set root (missing sets are built there) (default: $SYNTHZOO_DATA/datasets)."),
        out: Path = typer.Option(Path("out/benchmark"), "--out", help="Output folder: records.jsonl, done/, tables."),
        device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
        precision: str = typer.Option("auto", "--precision", help="What zoo networks run in: auto (bfloat16 where the device computes it natively, else float32; env SYNTHZOO_PRECISION), float32, bfloat16, or float16 (CUDA). Not float32: part of the model's version in the records."),
        workers: Optional[int] = typer.Option(None, "--workers", help="Run the cases in N local processes (dask.distributed LocalCluster)."),
        scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Run the cases on the workers of this dask.distributed scheduler (tcp://HOST:PORT)."),
        quick: bool = typer.Option(False, "--quick", help="Same as the quick suite."),
        as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
    ) -> None:
        """Run a benchmark suite (resumable); write records, then the tables and figure."""
        from synthzoo.benchmarks.records import RecordError
        from synthzoo.benchmarks.runner import BenchmarkError, run
        from synthzoo.leaderboard.tables import write_tables

        try:
            summary = run(_split(models), _split(testsets), root, out, suite=suite, device=device, quick=quick,
                          progress=not as_json, workers=workers, scheduler=scheduler,
                          precision=precision)
            summary["tables"] = write_tables(out)
        except (BenchmarkError, RecordError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        if as_json:
            typer.echo(json.dumps(summary, indent=1))
        else:
            for note in summary["notes"]:
                typer.echo(f"note: {note}", err=True)
            typer.echo(Path(summary["tables"]["benchmark.md"]).read_text())
            typer.echo(summary_text(summary))

    @bench_app.command("table")
    def table_cmd(
        out: Path = typer.Option(Path("out/benchmark"), "--out", help="Folder holding records.jsonl."),
        as_json: bool = typer.Option(False, "--json", help="Print the written paths as JSON."),
    ) -> None:
        """Tables (markdown, CSV) and figure from OUT/records.jsonl (see also `synthzoo leaderboard`)."""
        from synthzoo.benchmarks.records import RecordError
        from synthzoo.leaderboard.tables import write_tables

        try:
            paths = write_tables(out)
        except RecordError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        typer.echo(json.dumps(paths, indent=1) if as_json else Path(paths["benchmark.md"]).read_text())
