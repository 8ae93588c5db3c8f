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


def register_run(bench_app: typer.Typer) -> None:
    """Add ``run`` and ``table`` to the ``synthzoo bench`` app."""

    @bench_app.command("run")
    def run_cmd(
        models: Optional[List[str]] = typer.Option(None, "--models", help="Models (comma-separated or repeated) (default: every bundled zoo model and baseline)."),
        testsets: Optional[List[str]] = typer.Option(None, "--testsets", help="Test sets (comma-separated or repeated) (default: all)."),
        root: Optional[Path] = typer.Option(None, "--root", help="Test-set root (missing sets are built there) (default: $SYNTHZOO_DATA/datasets)."),
        out: Path = typer.Option(Path("out/benchmark"), "--out", help="Output folder: records.jsonl, done/, tables."),
        device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
        quick: bool = typer.Option(False, "--quick", help="Tiny test sets (ROOT/quick)."),
        as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
    ) -> None:
        """Run models on test sets (resumable); write records, then the tables and figure."""
        from synthzoo.benchmarks.records import RecordError
        from synthzoo.benchmarks.runner import BenchmarkError, run
        from synthzoo.leaderboard.tables import write_tables

        try:
            summary = run(_split(models), _split(testsets), root, out, device=device, quick=quick,
                          progress=not as_json)
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
            typer.echo(f"{summary['new']} new run(s), {summary['skipped']} already done, "
                       f"{summary['seconds']} s; records: {summary['records']}")

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
