"""``synthzoo generate ...``: list generators, preview montages, write samples."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from synthzoo._cli import fail as _fail
from synthzoo._cli import print_rows

generate_app = typer.Typer(help="Domain generators: list, preview, sample.", no_args_is_help=True)


def generator_table() -> list[dict]:
    """Built-in and plugin generators with domain, dims and a one-line description.

    ``source`` is ``builtin`` or the distribution that provides a plugin; ``plugin`` says
    which; ``entry_point`` is the plugin's ``module:object``.  Plugins that fail to import
    are left out with a :class:`~synthzoo._registry.PluginWarning`."""
    from synthzoo._registry import describe
    from synthzoo.generators import GENERATORS

    rows = []
    loaded = GENERATORS.load_all()
    for entry in GENERATORS.entries():
        cls = loaded.get(entry.name)
        if cls is None:
            continue
        rows.append({"name": entry.name, "domain": getattr(cls, "domain", ""),
                     "dims": list(getattr(cls, "dims", ())), "source": entry.source,
                     "plugin": entry.source != "builtin", "entry_point": entry.entry_point,
                     "description": describe(cls)})
    return rows


@generate_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List generators (built-ins and plugins)."""
    print_rows(generator_table(), as_json=as_json, columns={
        "name": lambda r: r["name"], "domain": lambda r: r["domain"],
        "dims": lambda r: ",".join(map(str, r["dims"])),
        "source": lambda r: f"plugin: {r['source']}" if r["plugin"] else r["source"],
        "description": lambda r: r["description"]})


@generate_app.command("preview")
def preview_cmd(
    domain: str = typer.Argument(..., help="Generator name (see `synthzoo generate list`)."),
    n: int = typer.Option(8, "--n", help="Number of samples."),
    seed: int = typer.Option(0, "--seed"),
    dims: int = typer.Option(2, "--dims", help="2 or 3."),
    size: int = typer.Option(96, "--size", help="Output size per side (voxels)."),
    out: Path = typer.Option(Path("preview.png"), "--out"),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or auto."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing montage at --out."),
) -> None:
    """Save a montage of synthetic images with their label maps."""
    from synthzoo._outputs import OutputError, Target, check_outputs
    from synthzoo._registry import PluginError, UnknownNameError
    from synthzoo.generators.tools.preview import preview

    try:
        check_outputs([Target(out, suffixes=(".png",), what="preview montage", parents=True, option="--out")],
                      overwrite=overwrite)
        path = preview(domain, n=n, seed=seed, dims=dims, size=size, out=out, device=device)
    except (UnknownNameError, PluginError, OutputError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(str(path))


@generate_app.command("sample")
def sample_cmd(
    domain: str = typer.Argument(..., help="Generator name."),
    labels: Optional[Path] = typer.Option(None, "--labels", help="Label map (NIfTI, TIFF, Zarr); default: the domain's own."),
    n: int = typer.Option(1, "--n"),
    seed: int = typer.Option(0, "--seed"),
    dims: int = typer.Option(3, "--dims", help="Used without --labels."),
    size: int = typer.Option(96, "--size", help="Used without --labels."),
    out: Path = typer.Option(Path("samples"), "--out"),
    device: str = typer.Option("cpu", "--device"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Write into an existing folder of samples (files of the same names are replaced)."),
) -> None:
    """Write image/label pairs (NIfTI for 3D, TIFF for 2D) with their parameters as JSON."""
    from synthzoo._outputs import OutputError, Target, check_outputs
    from synthzoo._registry import PluginError, UnknownNameError
    from synthzoo.generators.engine.labels import LabelFileError
    from synthzoo.generators.tools.preview import is_samples_folder, write_samples

    try:
        check_outputs([Target(out, folder=True, own=is_samples_folder, what="folder of samples",
                              parents=True, option="--out")],
                      inputs=[labels] if labels is not None else [], overwrite=overwrite)
        paths = write_samples(domain, out_dir=out, n=n, seed=seed, labels_path=labels, dims=dims,
                              size=size, device=device)
    except (UnknownNameError, PluginError, LabelFileError, OutputError, ValueError) as exc:
        _fail(str(exc))
    for p in paths:
        typer.echo(str(p))


def register(app: typer.Typer) -> None:
    app.add_typer(generate_app, name="generate")
