"""Helpers shared by the command-line modules of every part."""

from __future__ import annotations

from typing import NoReturn

import typer


def fail(msg: str, code: int = 2) -> NoReturn:
    """Print ``error: MSG`` on stderr (one line) and exit with ``code`` (2: bad input)."""
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)
