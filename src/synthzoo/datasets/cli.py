"""``synthzoo datasets ...``: list, info, build, verify, memtest and figure of test sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from synthzoo._cli import fail as _fail

datasets_app = typer.Typer(help="Test sets of unseen contrasts (Zarr, read with Dask).", no_args_is_help=True)

ROOT = typer.Option(None, "--root", help="Storage root (default: $SYNTHZOO_DATA/datasets or the user data folder).")
JSON = typer.Option(False, "--json", help="Print JSON.")
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")




def _errors() -> tuple[type[Exception], ...]:
    from synthzoo._outputs import OutputError
    from synthzoo._registry import PluginError, UnknownNameError
    from synthzoo.datasets.base import DatasetError

    return (DatasetError, UnknownNameError, PluginError, OutputError)


def _table(columns: list[str], rows: list[list]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(*columns)
    for r in rows:
        t.add_row(*(str(v) for v in r))
    Console(width=160).print(t)


def testset_table(root: Optional[Path] = None) -> list[dict]:
    """Registered test sets with domain, dims, contrasts, description and whether built."""
    from synthzoo._registry import describe
    from synthzoo.datasets import DATASETS, store_path

    rows = []
    loaded = DATASETS.load_all()
    for entry in DATASETS.entries():
        cls = loaded.get(entry.name)
        if cls is None:
            continue
        rows.append({"name": entry.name, "domain": cls.domain, "dims": cls.dims, "contrasts": list(cls.contrasts),
                     "source": entry.source, "built": store_path(entry.name, root).exists(),
                     "description": describe(cls)})
    return rows


@datasets_app.command("list")
def list_cmd(root: Optional[Path] = ROOT, as_json: bool = JSON) -> None:
    """List test sets (built-ins and plugins) and whether they are built under the root."""
    rows = testset_table(root)
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
        return
    _table(["name", "domain", "dims", "contrasts", "built", "description"],
           [[r["name"], r["domain"], r["dims"], ", ".join(r["contrasts"]), r["built"], r["description"]] for r in rows])


def info(name: str, root: Optional[Path] = None) -> dict:
    """Card, contrasts and every case (contrast, shape, spacing, simulator) of a built test set."""
    from synthzoo.datasets import open as open_set

    ts = open_set(name, root)
    cases = [{"case": c.name, "contrast": c.contrast, "shape": list(c.image.shape), "spacing": list(c.spacing),
              "axes": c.attrs["axes"], "units": c.attrs.get("units", ""), "simulator": c.attrs["simulator"],
              "mask": c.mask is not None, "seed": c.attrs["seed"]} for c in ts]
    return {"path": str(ts.path), "card": ts.card.to_json(),
            "contrasts": sorted({c["contrast"] for c in cases}, key=list(ts.card.contrasts).index),
            "cases": cases}


@datasets_app.command("info")
def info_cmd(name: str = typer.Argument(..., help="Test set name."), root: Optional[Path] = ROOT,
             as_json: bool = JSON) -> None:
    """Show a built test set's card, contrasts and every case."""
    try:
        d = info(name, root)
    except _errors() as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(d, indent=1))
        return
    card = d["card"]
    typer.echo(f"{card['name']}: {card['description']}\n  path: {d['path']}\n  method: {card['method']}\n"
               f"  labels: {', '.join(card['label_names'])}\n  contrasts: {', '.join(d['contrasts'])}\n"
               f"  anatomy: {card['anatomy_source']}\n  license: {card['license']}\n"
               f"  size {card['size']}, {card['cases_per_contrast']} case(s) per contrast, seed {card['seed']}")
    _table(["case", "contrast", "shape", "spacing", "axes", "units", "mask"],
           [[c["case"], c["contrast"], "x".join(map(str, c["shape"])), ", ".join(f"{s:g}" for s in c["spacing"]),
             c["axes"], c["units"], c["mask"]] for c in d["cases"]])


@datasets_app.command("build")
def build_cmd(
    name: str = typer.Argument(..., help="Test set name, or 'all'."),
    root: Optional[Path] = ROOT,
    size: Optional[int] = typer.Option(None, "--size", help="Size per side (voxels); default per test set."),
    cases: Optional[int] = typer.Option(None, "--cases", help="Cases per contrast (default: the test set's own)."),
    seed: int = typer.Option(0, "--seed"),
    contrast: Optional[list[str]] = typer.Option(None, "--contrast", help="Only these contrasts (repeatable)."),
    workers: int = typer.Option(1, "--workers", help="Processes for slice-wise simulators (micro-CT)."),
    quick: bool = typer.Option(False, "--quick", help="Tiny sizes (smoke test), stored under ROOT/quick."),
    force: bool = typer.Option(False, "--overwrite", "--force", help="Rebuild an existing store of this test set (never a folder that is not one)."),
) -> None:
    """Build a test set (resumable: an interrupted build continues at the first unfinished case)."""
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from synthzoo.datasets import DATASETS, build, get_builder, size_root

    if quick:  # as build_all(quick=True): quick stores live apart from full-size ones
        root = size_root(root, quick=True)
    from synthzoo.datasets.store import check_build

    try:  # every build is checked before any work starts
        names = DATASETS.names() if name == "all" else [get_builder(name).name]
        sizes = {n: size if size is not None else (get_builder(n).quick_size if quick else None) for n in names}
        for n in names:
            check_build(get_builder(n), root, size=sizes[n], cases=cases, seed=seed,
                        contrasts=contrast)
    except _errors() as exc:
        _fail(str(exc))
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn()) as bar:
        for n in names:
            task = bar.add_task(n, total=None)
            t = time.perf_counter()

            def progress(case: str, i: int, total: int, task=task, n=n) -> None:
                bar.update(task, description=f"{n} {case}", completed=i, total=total)

            try:
                path = build(n, root, size=sizes[n], cases=cases, seed=seed, force=force, workers=workers,
                             contrasts=contrast, progress=progress)
            except _errors() as exc:
                _fail(str(exc))
            bar.console.print(f"{path} ({time.perf_counter() - t:.1f} s)")


@datasets_app.command("verify")
def verify_cmd(name: str = typer.Argument(..., help="Test set name."), root: Optional[Path] = ROOT,
               as_json: bool = JSON) -> None:
    """Check every array, the card and every case's attributes against the manifest; one line
    per problem (exit 1 if there is any)."""
    from synthzoo.datasets import verify

    try:
        rep = verify(name, root)
    except _errors() as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(rep, indent=1))
    else:
        for r in rep["arrays"]:
            typer.echo(f"{'ok  ' if r['ok'] else 'FAIL'} {r['case']}/{r['array']}" + (f": {r['error']}" if not r["ok"] else ""))
        for p in rep["problems"]:
            typer.echo(f"FAIL {p}")
        n_bad = len(rep["problems"]) + sum(not r["ok"] for r in rep["arrays"])
        typer.echo(f"{rep['name']}: {'verified' if rep['ok'] else f'CORRUPT, {n_bad} problem(s)'} "
                   f"({len(rep['arrays'])} arrays, card and case attributes)")
    if not rep["ok"]:
        raise typer.Exit(1)


@datasets_app.command("memtest")
def memtest_cmd(
    name: str = typer.Argument(..., help="Test set name."),
    root: Optional[Path] = ROOT,
    case: Optional[str] = typer.Option(None, "--case", help="Case name (default: the first)."),
    workers: int = typer.Option(2, "--workers", help="Dask threads."),
    as_json: bool = JSON,
) -> None:
    """Evaluate one case chunk-wise through Dask and report peak memory growth."""
    from synthzoo.datasets import open as open_set
    from synthzoo.datasets.evaluate import memtest

    try:
        ts = open_set(name, root)
        c = ts[case] if case else next(iter(ts))
        rep = memtest(c, n_labels=len(ts.card.label_names), workers=workers)
    except _errors() as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(rep, indent=1))
        return
    typer.echo(f"{name}/{rep['case']} {'x'.join(map(str, rep['shape']))} ({rep['image_mb'] + rep['labels_mb']:.0f} MB "
               f"in {rep['n_chunks']} chunks of {rep['chunk_mb']:.2f} MB): peak RSS growth {rep['rss_growth_mb']:.1f} MB, "
               f"tracemalloc peak {rep['tracemalloc_peak_mb']:.1f} MB, {rep['seconds']:.1f} s; "
               f"threshold Dice {rep['stats'].get('threshold_dice', float('nan')):.3f}")


@datasets_app.command("figure")
def figure_cmd(name: str = typer.Argument(..., help="Test set name."), root: Optional[Path] = ROOT,
               out: Path = typer.Option(Path("testset.png"), "--out"),
               overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing figure.")) -> None:
    """Save a figure with one panel per contrast (image + label contours)."""
    from synthzoo._outputs import check_output
    from synthzoo.datasets.figures import figure

    try:
        check_output(out, suffixes=FIGURE_SUFFIXES, overwrite=overwrite, what="figure")
        typer.echo(str(figure(name, root, out)))
    except _errors() as exc:
        _fail(str(exc))


def register(app: typer.Typer) -> None:
    app.add_typer(datasets_app, name="datasets")
