"""``synthzoo zoo list/info/pull``, ``synthzoo predict`` and ``synthzoo train``."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

from synthzoo._cli import fail as _fail
from synthzoo._cli import print_rows

zoo_app = typer.Typer(help="Model zoo: list, describe and fetch pretrained models.", no_args_is_help=True)


def _errors() -> tuple[type[BaseException], ...]:
    from synthzoo._registry import PluginError, UnknownNameError
    from synthzoo.zoo.card import CardError
    from synthzoo.zoo.imageio import ImageFileError
    from synthzoo.zoo.weights import WeightsError

    return (UnknownNameError, PluginError, CardError, ImageFileError, WeightsError, ValueError)


@zoo_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List pretrained models (name, domain, task, dims, baseline, sha256)."""
    from synthzoo.zoo.models import model_table

    print_rows(model_table(), as_json=as_json, columns={
        "name": lambda r: r["name"], "domain": lambda r: r["domain"], "task": lambda r: r["task"],
        "dims": lambda r: str(r["dims"]), "baseline": lambda r: str(r["baseline"]),
        "labels": lambda r: ",".join(r["labels"]), "sha256": lambda r: r["sha256"][:12]})


@zoo_app.command("info")
def info_cmd(
    name: str = typer.Argument(..., help="Model name (see `synthzoo zoo list`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole card as JSON."),
    offline: bool = typer.Option(False, "--offline", help="Accepted for symmetry: info never downloads."),
) -> None:
    """Show a model's weight card and where its weights resolve from (never downloads)."""
    from synthzoo.zoo.models import get_card, get_entry
    from synthzoo.zoo.weights import locate

    try:
        card = get_card(name)
        where = locate(card, folder=get_entry(name).weights_dir)
    except _errors() as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps({**card.to_dict(), "resolved": where}, indent=1))
        return
    for k, v in card.summary().items():
        typer.echo(f"{k}: {v}")
    typer.echo(f"patch_size: {list(card.patch_size)}  normalisation: {card.normalisation}")
    typer.echo(f"metrics: {json.dumps(card.metrics)}")
    typer.echo(f"command: {card.command}")
    typer.echo(f"weights: {where or 'not local (pull downloads from ' + ', '.join(card.urls) + ')'}")


@zoo_app.command("pull")
def pull_cmd(
    names: list[str] = typer.Argument(None, help="Model names (default: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    offline: bool = typer.Option(False, "--offline", help="Never download; fail if not local."),
) -> None:
    """Resolve and verify weights (cache, bundled copy, then the card's URLs)."""
    from synthzoo.zoo.models import get_card, get_entry, model_table
    from synthzoo.zoo.weights import fetch

    try:
        names = names or [r["name"] for r in model_table()]
        rows = [{"name": n, "path": str(fetch(get_card(n), offline=offline, folder=get_entry(n).weights_dir))}
                for n in names]
    except _errors() as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
    else:
        for r in rows:
            typer.echo(f"{r['name']}: {r['path']}")


def predict_cmd(
    model: str = typer.Argument(..., help="Pretrained model name (see `synthzoo zoo list`)."),
    input: Path = typer.Argument(..., help="Image: NIfTI, TIFF, PNG, DICOM or Zarr."),
    output: Path = typer.Argument(..., help="Label map, written in the input's format."),
    probabilities: Optional[Path] = typer.Option(None, "--probabilities", help="Also write class probabilities here (same format, one channel per class)."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or auto."),
    overlap: float = typer.Option(0.25, "--overlap", help="Sliding-window overlap, 0 <= overlap < 1."),
    precision: str = typer.Option("auto", "--precision", help="What the network runs in: auto (bfloat16 where the device computes it natively, else float32; env SYNTHZOO_PRECISION), float32, bfloat16, or float16 (CUDA)."),
    offline: bool = typer.Option(False, "--offline", help="Never download weights."),
    spacing: Optional[float] = typer.Option(None, "--spacing", help="Voxel size in the model's unit (mm; um for microscopy models: see `synthzoo zoo info`) overriding the file's; PNG/TIFF default to the model's."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing outputs (never the input, never a folder that is not a previous output)."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar (it goes to stderr)."),
    instances: bool = typer.Option(False, "--instances", help="Write object ids (0 background, 1..N) instead of classes; touching objects are separated when the model has a boundary class (e.g. nuclei models)."),
    object_size: Optional[str] = typer.Option(None, "--object-size", help="Nuclei models: the nuclei's diameter in the image's pixels, or 'auto' to measure it; the image is segmented at the pixel size where they match the nuclei the model was trained on. Measured by default when the file gives no pixel size."),
    tta: bool = typer.Option(True, "--tta/--no-tta", help="Average the prediction with its mirror along the axes the model was trained flipped (the left-right axis of the neuro models); --no-tta runs the network once, about twice as fast."),
) -> None:
    """Segment an image with a pretrained model (every output is checked before inference)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from synthzoo.zoo.predict import predict_file

    bar = Progress(TextColumn("segmenting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(stderr=True), disable=no_progress, transient=True)
    task = bar.add_task("segmenting", total=None)
    try:
        with bar:
            paths = predict_file(model, input, output, probabilities=probabilities, device=device,
                                 overlap=overlap, offline=offline, spacing=spacing, overwrite=overwrite,
                                 instances=instances, precision=precision, tta=tta, object_size=object_size, progress=lambda done, total: bar.update(task, completed=done, total=total),
                                 notice=lambda line: bar.console.print(line, markup=False, highlight=False, soft_wrap=True))
    except _errors() as exc:
        _fail(str(exc))
    for p in paths:
        typer.echo(str(p))


def train_cmd(
    generator: str = typer.Option("neuro-mri", "--generator", help="Generator domain name (see `synthzoo generate list`)."),
    model: str = typer.Option("unet", "--model", help="Architecture name (see `synthzoo zoo list`)."),
    dims: int = typer.Option(2, "--dims", help="2 or 3."),
    size: int = typer.Option(96, "--size", help="Training patch size per side (voxels)."),
    spacing: float = typer.Option(2.0, "--spacing", help="Voxel size of the training samples, in the generator's unit (mm; um for em and fluorescence)."),
    steps: int = typer.Option(1000, "--steps"),
    batch: int = typer.Option(8, "--batch"),
    lr: float = typer.Option(2e-3, "--lr", help="Initial learning rate (polynomial decay)."),
    poly_power: float = typer.Option(0.9, "--poly-power", help="Power of the learning rate's decay, lr x (1 - step/steps)^power (0: a flat rate)."),
    average_from: int = typer.Option(0, "--average-from", help="Export the mean of the weights after every step past this one (stochastic weight averaging; 0: the last weights)."),
    ce_weight: float = typer.Option(0.0, "--ce-weight", help="Weight of cross-entropy added to soft Dice."),
    levels: int = typer.Option(4, "--levels", help="U-Net levels."),
    features: int = typer.Option(16, "--features", help="U-Net base features."),
    norm: str = typer.Option("instance", "--norm", help="instance, batch, group or none."),
    seed: int = typer.Option(0, "--seed"),
    val_every: int = typer.Option(100, "--val-every"),
    ckpt_every: int = typer.Option(100, "--ckpt-every"),
    name: str = typer.Option("", "--name", help="Model name for the card (default GENERATOR-MODEL-Dd)."),
    generator_kwargs: str = typer.Option("{}", "--generator-kwargs", help='Generator options as JSON, e.g. \'{"target": "brain"}\'.'),
    task: str = typer.Option("segmentation", "--task", help="Task named in the card."),
    init_weights: str = typer.Option("", "--init-weights", help="Start from these safetensors weights (a curriculum stage)."),
    init_sha256: str = typer.Option("", "--init-sha256", help="Expected sha256 of --init-weights."),
    slab: int = typer.Option(0, "--slab", help="2D only: train on the middle plane of 3D samples this thick (out-of-plane light)."),
    p_slab: float = typer.Option(1.0, "--p-slab", help="With --slab: the fraction of batches drawn as slabs (the others are 2D samples)."),
    mix: list[str] = typer.Option([], "--mix", help="NAME=FRACTION: draw that fraction of batches from another generator with the same targets (repeatable), e.g. --mix pet=0.15."),
    mix_kwargs: str = typer.Option("{}", "--mix-kwargs", help='Options of the --mix generators as JSON, NAME -> options, e.g. \'{"ct": {"partial_volume": true}}\'.'),
    baseline: bool = typer.Option(False, "--baseline", help="Mark the card as a narrow baseline (one fixed contrast)."),
    description: str = typer.Option("", "--description", help="One line for the card."),
    out: Path = typer.Option(..., "--out", help="Run folder; resumes when it holds a checkpoint."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    threads: int = typer.Option(0, "--threads", help="CPU threads (0: torch default)."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
) -> None:
    """Train a model on synthetic data from a generator (resumable)."""
    import torch

    try:
        from synthzoo.zoo.train import TrainConfig, train
    except ModuleNotFoundError as exc:  # Lightning is the optional extra "train"
        if (exc.name or "").split(".")[0] != "lightning":
            raise
        _fail("synthzoo train needs Lightning, which is not installed: pip install 'synthzoo[train]'")
    if threads > 0:
        torch.set_num_threads(threads)
    try:
        gkw = json.loads(generator_kwargs)
        if not isinstance(gkw, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        _fail(f"--generator-kwargs {generator_kwargs!r}: {exc}; give a JSON object like '{{\"target\": \"brain\"}}'")
    mixed: dict[str, float] = {}
    for item in mix:
        mname, eq, frac = item.partition("=")
        try:
            if not eq or not mname or mname in mixed:
                raise ValueError
            mixed[mname] = float(frac)
        except ValueError:
            _fail(f"--mix {item!r}: give NAME=FRACTION once per generator, e.g. --mix pet=0.15")
    try:
        mkw = json.loads(mix_kwargs)
        if not isinstance(mkw, dict) or not all(isinstance(v, dict) for v in mkw.values()):
            raise ValueError("not a JSON object of JSON objects")
    except ValueError as exc:
        _fail(f"--mix-kwargs {mix_kwargs!r}: {exc}; give NAME -> options, e.g. '{{\"ct\": {{\"partial_volume\": true}}}}'")
    cfg = TrainConfig(generator_kwargs=gkw, mix=mixed, mix_kwargs=mkw, task=task, baseline=baseline, description=description, slab=slab, p_slab=p_slab,
                      init_weights=init_weights, init_sha256=init_sha256,
                      generator=generator, model=model, dims=dims, size=size, spacing=spacing,
                      steps=steps, batch=batch, lr=lr, poly_power=poly_power, average_from=average_from,
                      ce_weight=ce_weight, seed=seed,
                      val_every=val_every, ckpt_every=ckpt_every, name=name,
                      model_kwargs={"levels": levels, "features": features, "norm": norm})
    command = "synthzoo " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    try:
        card = train(cfg, out, device=device, command=command, progress=not no_progress)
    except _errors() as exc:
        _fail(str(exc))
    typer.echo(f"{out / card.weights_file} sha256={card.sha256} wall={card.training['wall_time_s']} s")


def register(app: typer.Typer) -> None:
    app.add_typer(zoo_app, name="zoo")
    app.command("predict")(predict_cmd)
    app.command("train")(train_cmd)
