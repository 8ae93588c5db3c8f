"""``synthzoo leaderboard ...``: tables, the static site, submission checks (thin layer over
:mod:`synthzoo.leaderboard.tables`, :mod:`~synthzoo.leaderboard.site` and
:mod:`~synthzoo.leaderboard.submissions`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List

import typer

from synthzoo._cli import fail

leaderboard_app = typer.Typer(help="Leaderboard: tables, static site, submission checks.",
                              no_args_is_help=True)


@leaderboard_app.command("table")
def table_cmd(
    results: List[Path] = typer.Argument(..., help="records.jsonl file(s)."),
    fmt: str = typer.Option("md", "--format", help="md, csv, latex or html."),
    metric: str = typer.Option("dice", "--metric", help="dice, volume_similarity, hd95, assd (mm; lower is better) or object_f1."),
) -> None:
    """Print the leaderboard table: models x contrasts per domain, mean ± standard error."""
    from synthzoo.benchmarks.records import RecordError
    from synthzoo.leaderboard import submissions, tables

    try:
        typer.echo(tables.table(submissions.load(results), fmt_=fmt, metric=metric), nl=False)
    except RecordError as exc:
        fail(exc)


@leaderboard_app.command("build")
def build_cmd(
    results: List[Path] = typer.Argument(..., help="records.jsonl file(s)."),
    out: Path = typer.Option(..., "--out", help="Site folder (index.html inside)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an --out that is not a leaderboard site (moved aside, not deleted)."),
    metric: str = typer.Option("dice", "--metric", help="dice, volume_similarity, hd95, assd (mm; lower is better) or object_f1."),
) -> None:
    """Build the static leaderboard site (validated input; written whole or not at all)."""
    from synthzoo.benchmarks.records import RecordError
    from synthzoo.leaderboard.site import build

    try:
        site = build(results, out, overwrite=overwrite, metric=metric)
    except RecordError as exc:
        fail(exc)
    typer.echo(f"leaderboard: open {site / 'index.html'}")


@leaderboard_app.command("publish")
def publish_cmd(
    results: List[Path] = typer.Argument(..., help="records.jsonl of the default suite (out/benchmark/records.jsonl)."),
    out: Path = typer.Option(Path("leaderboard"), "--out", help="The published board (repository root: leaderboard)."),
) -> None:
    """Build the published board (site + records + README) into leaderboard/; see scripts/publish_leaderboard.sh."""
    from synthzoo.benchmarks.records import RecordError
    from synthzoo.leaderboard.publish import publish

    try:
        site = publish(results, out)
    except RecordError as exc:
        fail(exc)
    typer.echo(f"published: {site} (open {site / 'index.html'})")


@leaderboard_app.command("validate")
def validate_cmd(
    results: List[Path] = typer.Argument(..., help="records.jsonl file(s) to check."),
    as_json: bool = typer.Option(False, "--json", help="Print {ok, rows, problems} as JSON."),
) -> None:
    """Check submissions: schema version, fields, test sets, Dice range, provenance, duplicates."""
    from synthzoo.leaderboard.submissions import check

    rows, problems = check(results)
    if as_json:
        typer.echo(json.dumps({"ok": not problems, "rows": len(rows), "problems": problems}, indent=1))
        raise typer.Exit(1 if problems else 0)
    if problems:
        for p in problems:
            typer.echo(f"error: {p}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {len(rows)} valid record(s) in {len(results)} file(s)")


@leaderboard_app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of one record line."""
    from synthzoo.benchmarks.records import json_schema

    typer.echo(json.dumps(json_schema(), indent=1))


def register(app: typer.Typer) -> None:
    app.add_typer(leaderboard_app, name="leaderboard")
