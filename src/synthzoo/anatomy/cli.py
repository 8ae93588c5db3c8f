"""``synthzoo anatomy list/fetch``."""

from __future__ import annotations


import typer

from synthzoo._cli import fail as _fail
from synthzoo._cli import print_rows

anatomy_app = typer.Typer(help="Anatomy sources: real label maps generators and test sets draw from.",
                          no_args_is_help=True)


@anatomy_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List anatomy sources (name, subjects, labels, split, license, citation)."""
    from synthzoo.anatomy import source_table

    print_rows(source_table(), as_json=as_json, columns={
        "name": lambda r: r["name"], "subjects": lambda r: str(len(r["subjects"])),
        "train": lambda r: ",".join(r["train"]), "held out": lambda r: ",".join(r["heldout"]),
        "labels": lambda r: str(len(r["labels"])), "license": lambda r: r["license"][:30],
        "citation": lambda r: r["citation"][:50]})


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
