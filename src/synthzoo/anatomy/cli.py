"""``synthzoo anatomy list/fetch``."""

from __future__ import annotations

import json

import typer

from synthzoo._cli import fail as _fail

anatomy_app = typer.Typer(help="Anatomy sources: real label maps generators and test sets draw from.",
                          no_args_is_help=True)




@anatomy_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List anatomy sources (name, subjects, labels, split, license, citation)."""
    from synthzoo.anatomy import source_table

    rows = source_table()
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table("name", "subjects", "train", "held out", "labels", "license", "citation")
    for r in rows:
        t.add_row(r["name"], str(len(r["subjects"])), ",".join(r["train"]), ",".join(r["heldout"]),
                  str(len(r["labels"])), r["license"][:30], r["citation"][:50])
    Console().print(t)


@anatomy_app.command("fetch")
def fetch_cmd(
    name: str = typer.Argument(..., help="Anatomy source (see `synthzoo anatomy list`)."),
    offline: bool = typer.Option(False, "--offline", help="Never download; use the cache and mirrors."),
) -> None:
    """Fetch, verify and cache every subject of a source (training and held-out)."""
    from rich.progress import track

    from synthzoo._registry import PluginError, UnknownNameError
    from synthzoo.anatomy import AnatomyError, get_source

    try:
        src = get_source(name)
        for s in track(src.subjects, description=f"fetching {name}"):
            src._load(s, offline=offline)
    except (UnknownNameError, PluginError, AnatomyError) as exc:
        _fail(str(exc))
    typer.echo(f"{name}: {len(src.subjects)} subjects verified and cached")


def register(app: typer.Typer) -> None:
    app.add_typer(anatomy_app, name="anatomy")
