"""``synthzoo bench ...``: benchmarks (speed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)


def _ints(text: str, what: str) -> tuple[int, ...]:
    try:
        vals = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise typer.BadParameter(f"{what} must be comma-separated integers, got {text!r}") from None
    if not vals:
        raise typer.BadParameter(f"{what} must list at least one integer, got {text!r}")
    return vals


@bench_app.command("speed")
def speed_cmd(
    sizes: Optional[str] = typer.Option(None, "--sizes", help="3D sizes of the pipeline comparison [96,160; quick: 24]."),
    threads: Optional[str] = typer.Option(None, "--threads", help="CPU thread counts [1,2; quick: 1]."),
    repeats: Optional[int] = typer.Option(None, "--repeats", help="Timed samples per measurement, median reported [5; quick: 2]."),
    warmup: Optional[int] = typer.Option(None, "--warmup", help="Untimed samples first [1; quick: 0]."),
    gen_sizes: Optional[str] = typer.Option(None, "--gen-sizes", help="2D,3D sizes of the per-generator timings [256,96; quick: 24,16]."),
    out: Path = typer.Option(Path("out/speed"), "--out", help="Output folder."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    quick: bool = typer.Option(False, "--quick", help="Tiny sizes and few repeats (smoke test)."),
    no_torchio: bool = typer.Option(False, "--no-torchio", help="Skip TorchIO."),
    no_others: bool = typer.Option(False, "--no-others", help="Skip cornucopia and MONAI."),
    no_generators: bool = typer.Option(False, "--no-generators", help="Skip the per-generator timings."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda (TorchIO always runs on CPU)."),
) -> None:
    """Seconds per sample: neuro-MRI pipeline vs TorchIO/cornucopia/MONAI, and every generator."""
    from synthzoo.benchmarks.speed import SpeedConfig, markdown, run_speed

    tools = tuple(t for t in ("torchio", "cornucopia", "monai")
                  if not (t == "torchio" and no_torchio) and not (t != "torchio" and no_others))
    kw: dict = dict(tools=tools, generators=not no_generators, device=device)
    for key, value, parse in (("sizes", sizes, True), ("threads", threads, True),
                              ("repeats", repeats, False), ("warmup", warmup, False),
                              ("gen_sizes", gen_sizes, True)):
        if value is not None:
            kw[key] = _ints(value, "--" + key.replace("_", "-")) if parse else value
    _job(lambda: SpeedConfig.quick(**kw) if quick else SpeedConfig(**kw), run_speed, markdown,
         lambda config: command_line(config, out, quick=quick), out, as_json,
         "speed.json, speed.md, speed.png")


def _job(make, run, markdown, command, out: Path, as_json: bool, written: str) -> None:
    """Make the config, run the job (``command(config)``: the command recorded), print JSON or
    its markdown; a bad setting exits 2 with one line."""
    try:
        config = make()
        result = run(config, out, command=command(config), progress=not as_json)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=1))
    else:
        typer.echo(markdown(result))
        typer.echo(f"written: {out}/{written}")


@bench_app.command("inference")
def inference_cmd(
    sizes: str = typer.Option("256,512", "--sizes", help="Cube sides of the volumes."),
    patch: int = typer.Option(64, "--patch", help="Window side (voxels)."),
    overlap: float = typer.Option(0.25, "--overlap", help="Window overlap, 0 <= overlap < 1."),
    batch: int = typer.Option(4, "--batch", help="Windows per network call."),
    levels: int = typer.Option(2, "--levels", help="U-Net levels."),
    features: int = typer.Option(4, "--features", help="U-Net base features."),
    convs: int = typer.Option(1, "--convs", help="Convolutions per U-Net level."),
    threads: int = typer.Option(2, "--threads", help="Torch threads of each tool's process."),
    no_monai: bool = typer.Option(False, "--no-monai", help="Only synthzoo's chunked inference."),
    quick: bool = typer.Option(False, "--quick", help="Tiny sizes and network (smoke test)."),
    out: Path = typer.Option(Path("out/inference"), "--out", help="Output folder (inputs and labels under OUT/data)."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Chunked sliding-window inference on Dask/Zarr vs MONAI's sliding_window_inference: seconds and peak memory."""
    import shlex

    from synthzoo.benchmarks.speed.inference import InferenceConfig, markdown, run_inference

    kw = dict(sizes=_ints(sizes, "--sizes"), patch=patch, overlap=overlap, batch=batch,
              levels=levels, features=features, convs=convs, threads=threads,
              tools=("synthzoo",) if no_monai else ("synthzoo", "monai"))
    cmd = ["synthzoo bench inference"] + (["--quick"] if quick else [
        f"--sizes {sizes}", f"--patch {patch}", f"--overlap {overlap:g}", f"--batch {batch}",
        f"--levels {levels}", f"--features {features}", f"--convs {convs}", f"--threads {threads}"]) \
        + (["--no-monai"] if no_monai else []) + [f"--out {shlex.quote(str(out))}"]
    _job(lambda: InferenceConfig.quick(tools=kw["tools"]) if quick else InferenceConfig(**kw),
         run_inference, markdown, lambda _: _with_env(" ".join(cmd)), out, as_json,
         "inference.json, inference.md")


@bench_app.command("predict")
def predict_bench_cmd(
    repeats: int = typer.Option(1, "--repeats", help="Runs per job (median reported)."),
    quick: bool = typer.Option(False, "--quick", help="Tiny inputs (smoke test)."),
    out: Path = typer.Option(Path("out/predict-speed"), "--out", help="Output folder (inputs and labels under OUT/data)."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """`synthzoo predict` timed as a user runs it: a 1500^2 PNG and a 256^3 NIfTI with the bundled 2D models."""
    import shlex

    from synthzoo.benchmarks.speed.predict import PredictConfig, markdown, run_predict

    cmd = ["synthzoo bench predict"] + (["--quick"] if quick else []) + [
        f"--repeats {repeats}", f"--out {shlex.quote(str(out))}"]
    _job(lambda: PredictConfig.quick(repeats=repeats) if quick else PredictConfig(repeats=repeats),
         run_predict, markdown, lambda _: _with_env(" ".join(cmd)), out, as_json,
         "predict.json, predict.md")


@bench_app.command("steps")
def steps_cmd(
    name: str = typer.Argument("neuro-mri", help="Generator name."),
    size: int = typer.Option(160, "--size"),
    dims: int = typer.Option(3, "--dims"),
    threads: int = typer.Option(2, "--threads"),
    repeats: int = typer.Option(5, "--repeats"),
    warmup: int = typer.Option(1, "--warmup"),
    device: str = typer.Option("cpu", "--device"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Where the time goes: median seconds of each step of one generator."""
    from synthzoo._registry import PluginError, UnknownNameError
    from synthzoo.benchmarks.speed import load_average, step_times

    try:
        times = step_times(name, size=size, dims=dims, threads=threads, repeats=repeats,
                           warmup=warmup, device=device)
    except (UnknownNameError, PluginError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    if as_json:
        typer.echo(json.dumps(times, indent=1))
        return
    typer.echo(f"{name} {size}^{dims}, {threads} thread(s), {device}, median of {repeats}; "
               f"load {load_average()}")
    for key, value in times.items():
        typer.echo(f"  {key:24s} {value * 1000:9.1f} ms")


def _with_env(command: str) -> str:
    """``command`` with the threading variables of the environment in front, except those the
    CLI sets itself (:mod:`synthzoo._threads`)."""
    from synthzoo._threads import SET_BY_SYNTHZOO
    from synthzoo.benchmarks.speed import thread_env

    env = {k: v for k, v in thread_env().items() if SET_BY_SYNTHZOO.get(k) != v}
    return " ".join([f"{k}={v}" for k, v in env.items()] + [command])


def command_line(config, out: Path, *, quick: bool = False) -> str:
    """The command that reproduces ``config`` (recorded with the results), with the
    threading variables of the environment in front, except those the CLI sets itself
    (:mod:`synthzoo._threads`)."""
    join = lambda v: ",".join(str(x) for x in v)  # noqa: E731
    parts = ["synthzoo bench speed", f"--sizes {join(config.sizes)}",
             f"--threads {join(config.threads)}", f"--repeats {config.repeats}",
             f"--warmup {config.warmup}"]
    if config.generators:
        parts.append(f"--gen-sizes {join(config.gen_sizes)}")
    else:
        parts.append("--no-generators")
    if "torchio" not in config.tools:
        parts.append("--no-torchio")
    if not {"cornucopia", "monai"} & set(config.tools):
        parts.append("--no-others")
    if config.device != "cpu":
        parts.append(f"--device {config.device}")
    parts.append(f"--out {out}")
    return _with_env(" ".join(parts))


def register(app: typer.Typer) -> None:
    from synthzoo.benchmarks.run_cli import register_run

    register_run(bench_app)  # bench run / bench table
    app.add_typer(bench_app, name="bench")
