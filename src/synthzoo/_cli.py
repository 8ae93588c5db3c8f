"""Helpers shared by the command-line modules of every part."""

from __future__ import annotations

from typing import Any, Callable, Mapping, NoReturn, Sequence

import typer


def fail(msg: str | Exception, code: int = 2) -> NoReturn:
    """Print ``error: MSG`` on stderr and exit with ``code`` (2: bad input).  An exception
    with a ``problems`` list (e.g. a ``RecordError``) gives one line per problem (at most 50)."""
    problems = list(getattr(msg, "problems", None) or [str(msg)])
    for p in problems[:50]:
        typer.echo(f"error: {p}", err=True)
    if len(problems) > 50:
        typer.echo(f"error: ... and {len(problems) - 50} more", err=True)
    raise typer.Exit(code)


def print_rows(rows: Sequence[Mapping[str, Any]], *, as_json: bool,
               columns: Mapping[str, Callable[[Mapping[str, Any]], str]]) -> None:
    """A listing command's output: ``rows`` as JSON, or a rich table with one column per
    ``columns`` entry (header -> the cell text of a row)."""
    if as_json:
        import json

        typer.echo(json.dumps(list(rows), indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(*columns)
    for r in rows:
        t.add_row(*(cell(r) for cell in columns.values()))
    Console().print(t)
