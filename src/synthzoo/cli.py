"""The ``synthzoo`` command line: a thin layer over library functions.

Each subpackage adds its commands through a ``register(app)`` function in its own ``cli``
module, so the parts stay independent.

Before any part is imported (and with it torch), :func:`synthzoo._threads.configure_env` sets
``OMP_WAIT_POLICY=PASSIVE`` unless the environment sets it: the commands need no hand-set
threading variables.
"""

from __future__ import annotations

import importlib

from synthzoo._threads import configure_env

configure_env()  # before torch is imported (OpenMP reads it once, at load)

import typer  # noqa: E402

from synthzoo import __version__  # noqa: E402

app = typer.Typer(
    name="synthzoo",
    help="Domain-randomized deep learning for imaging: generators, model zoo, test sets, benchmark.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: the module holding each part's ``register(app)``
_PARTS = ("synthzoo.anatomy.cli", "synthzoo.generators.tools.cli", "synthzoo.datasets.cli",
          "synthzoo.zoo.cli", "synthzoo.benchmarks.cli", "synthzoo.leaderboard.cli")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"synthzoo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """synthzoo command line."""


@app.command("run-default")
def run_default_cmd(
    out: str = typer.Option("out", "--out", help="Output folder."),
    quick: bool = typer.Option(False, "--quick", help="Tiny sizes (smoke test)."),
    workers: int = typer.Option(1, "--workers", min=0,
                                help="Benchmark worker processes (1: none, the runs in this process; 0: one per CPU core, at most 4)."),
) -> None:
    """The main job on embedded defaults (resumable): see ``synthzoo.pipeline``."""
    from synthzoo.pipeline import run_default

    report = run_default(out, quick=quick, workers=workers)
    typer.echo(f"done: {out}/report.json ({sum(len(v) for v in report.values())} outputs)")


for _part in _PARTS:
    importlib.import_module(_part).register(app)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
