"""``synthzoo predict`` timed as a user runs it.

``synthzoo bench predict`` makes two inputs with the project's generators and segments each
with a bundled 2D model by running the ``synthzoo predict`` command in a new process (no
threading variable set: the command sets its own), measuring the process's wall time, CPU
time and peak resident memory:

- a 1500^2 PNG of synthetic fluorescence nuclei at the model's pixel size, segmented by
  ``fluorescence-nuclei-unet-2d`` (target: under 10 s on 2 CPU cores) with the default overlap
  and with ``--overlap 0.5``; the generator's labels give the Dice of each, so the overlap's
  cost and its effect on accuracy are measured together;
- a 256^3 NIfTI synthetic head at 1 mm, segmented slice by slice by
  ``neuro-mri-tissue-unet-2d`` (target: under 60 s on 2 CPU cores).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from synthzoo._io import write_text

#: (input, model, extra predict options, target seconds at the default sizes)
#: (the default precision is ``auto``: bfloat16 on a CPU that computes it natively; the
#: ``--precision float32`` jobs show what that buys)
JOBS = (
    ("png", "fluorescence-nuclei-unet-2d", (), 10.0),
    ("png", "fluorescence-nuclei-unet-2d", ("--precision", "float32"), None),
    ("png", "fluorescence-nuclei-unet-2d", ("--overlap", "0.5"), None),
    ("nifti", "neuro-mri-tissue-unet-2d", (), 60.0),
    ("nifti", "neuro-mri-tissue-unet-2d", ("--precision", "float32"), None),
)


@dataclass(frozen=True)
class PredictConfig:
    """``png_size``/``nifti_size``: sides of the inputs; ``repeats``: runs per job (the median
    is reported); ``seed`` of the generated inputs."""

    png_size: int = 1500
    nifti_size: int = 256
    repeats: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if min(self.png_size, self.nifti_size) < 32 or self.repeats < 1:
            raise ValueError(f"sizes must be >= 32 and repeats >= 1, got {self.png_size}, "
                             f"{self.nifti_size}, {self.repeats}")

    @classmethod
    def quick(cls, **overrides: Any) -> "PredictConfig":
        base = dict(png_size=96, nifti_size=48)
        base.update(overrides)
        return cls(**base)


def make_inputs(folder: Path, config: PredictConfig) -> dict[str, Path]:
    """The PNG (with its true labels, ``.npy``) and the NIfTI, made by the generators; reused
    when they exist."""
    import torch

    from synthzoo.generators.preview import make_generator
    from synthzoo.zoo.models import get_card

    folder.mkdir(parents=True, exist_ok=True)
    paths = {"png": folder / f"fluorescence-{config.png_size}.png",
             "truth": folder / f"fluorescence-{config.png_size}-labels.npy",
             "nifti": folder / f"head-{config.nifti_size}.nii.gz"}
    if not (paths["png"].exists() and paths["truth"].exists()):
        from PIL import Image

        spacing = get_card("fluorescence-nuclei-unet-2d").spacing
        gen = make_generator("fluorescence", size=config.png_size, dims=2, spacing=spacing)
        g = torch.Generator().manual_seed(config.seed)
        labels = gen.default_labels(batch=1, size=config.png_size, dims=2, generator=g)
        with torch.no_grad():
            s = gen(labels, generator=g)
        img = s.image[0, 0].numpy()
        img = np.round(255 * (img - img.min()) / max(float(img.max() - img.min()), 1e-8)).astype(np.uint8)
        Image.fromarray(img).save(paths["png"])
        np.save(paths["truth"], (s.labels[0, 0].numpy() > 0).astype(np.uint8))
    if not paths["nifti"].exists():
        import nibabel as nib

        from synthzoo.generators import create

        n = config.nifti_size
        gen = create("neuro-mri", out_size=n, spacing=1.0)
        g = torch.Generator().manual_seed(config.seed)
        labels = gen.default_labels(batch=1, size=n, dims=3, generator=g)
        with torch.no_grad():
            img = gen(labels, generator=g).image[0, 0].numpy().astype(np.float32)
        nib.save(nib.Nifti1Image(img, np.eye(4)), paths["nifti"])
    return {k: Path(v) for k, v in paths.items()}


def _dice(pred: np.ndarray, truth: np.ndarray) -> float:
    p, t = pred > 0, truth > 0
    return float(2 * (p & t).sum() / max(int(p.sum() + t.sum()), 1))


@dataclass
class PredictResult:
    meta: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def user_env() -> dict[str, str]:
    """This process's environment without the variables the ``synthzoo`` command set for
    itself, i.e. what a user's shell hands the command."""
    from synthzoo._threads import SET_BY_SYNTHZOO

    return {k: v for k, v in os.environ.items() if SET_BY_SYNTHZOO.get(k) != v}


def run_predict(config: PredictConfig, out: str | Path, *, command: str = "",
                progress: bool = True) -> PredictResult:
    """Run every job of :data:`JOBS`; write ``predict.json`` and ``predict.md`` to ``out``."""
    import statistics

    from PIL import Image
    from rich.progress import Progress

    from synthzoo import __version__
    from synthzoo.benchmarks.speed.timing import load_average, machine, run_measured, utc_now
    from synthzoo.zoo.inference import resolve_precision
    from synthzoo.zoo.models import get_card

    out = Path(out)
    data = out / "data"
    inputs = make_inputs(data, config)
    truth = np.load(inputs["truth"])
    env = user_env()
    result = PredictResult(meta={"package_version": __version__, **machine("cpu"), "started": utc_now(),
                                 "load_before": load_average(), "command": command,
                                 "config": asdict(config),
                                 "precision_auto": resolve_precision("auto", "cpu"),
                                 "env": {k: env[k] for k in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS") if k in env}})
    with Progress(disable=not progress) as bar:
        task = bar.add_task("predict", total=len(JOBS) * config.repeats)
        default = config == PredictConfig(repeats=config.repeats)
        for kind, model, extra, target in JOBS:
            src = inputs[kind]
            size = config.png_size if kind == "png" else config.nifti_size
            name = f"{kind}-{size}" + "".join(f"-{e.lstrip('-')}" for e in extra)
            target = target if default else None  # the targets are for the default sizes
            dst = data / f"{name}-labels{''.join(src.suffixes)}"
            # the PNG is drawn at the model's pixel size: say so, or predict would measure its nuclei
            known = ["--spacing", f"{get_card(model).spacing:g}"] if kind == "png" else []
            cmd = [sys.executable, "-m", "synthzoo", "predict", model, str(src), str(dst), "--overwrite",
                   *known, *extra]
            runs = []
            for _ in range(config.repeats):
                bar.update(task, description=name)
                runs.append(run_measured(cmd, env=env, timeout=1800))
                bar.advance(task)
            bad = [r for r in runs if r["returncode"] != 0]
            row: dict[str, Any] = {
                "job": name, "model": model, "input": src.name,
                "command": " ".join(["synthzoo", *cmd[3:]]).replace(str(data) + "/", ""),
                "target_s": target, "runs": [{k: r[k] for k in ("wall_s", "cpu_s", "peak_rss_mb",
                                                                "load_before", "load_after")} for r in runs]}
            if bad:
                row["error"] = (bad[0]["stderr"].strip().splitlines() or ["no output"])[-1]
            else:
                for key in ("wall_s", "cpu_s", "peak_rss_mb"):
                    row[key] = statistics.median(r[key] for r in runs)
                row["met"] = None if target is None else row["wall_s"] < target
                if src.suffix == ".png":
                    row["dice"] = round(_dice(np.asarray(Image.open(dst)), truth), 4)
            result.rows.append(row)
    result.meta["load_after"] = load_average()
    result.meta["finished"] = utc_now()
    write_text(out / "predict.json", json.dumps(result.to_dict(), indent=1))
    write_text(out / "predict.md", markdown(result))
    return result


def markdown(result: PredictResult) -> str:
    m = result.meta
    lines = [
        "| job | command | wall s | CPU s | peak MB | target | met | Dice vs truth | load before / after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result.rows:
        if "error" in r:
            lines.append(f"| {r['job']} | `{r['command']}` | error: {r['error']} | | | | | | |")
            continue
        run = r["runs"][len(r["runs"]) // 2]
        target = "-" if r["target_s"] is None else f"< {r['target_s']:g} s"
        met = "-" if r["met"] is None else ("yes" if r["met"] else "no")
        lines.append(f"| {r['job']} | `{r['command']}` | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
                     f"{r['peak_rss_mb']:.0f} | {target} | {met} | {r.get('dice', '-')} | "
                     f"{run['load_before'][0]} / {run['load_after'][0]} |")
    lines += ["", f"Wall: the whole `synthzoo predict` process (start-up, imports, reading, inference, "
              f"writing), median of {m['config']['repeats']}; CPU: user + system seconds of that "
              f"process (all threads); load: 1-minute load average.",
              f"Machine: {m['cpu_count']} CPU cores ({m['processor']}), torch {m['torch']}; "
              f"threading variables from the caller: {m['env'] or 'none'}."
              + (f" Precision `auto` (the default) ran the network in {m['precision_auto']} here."
                 if m.get("precision_auto") else "")]
    if m.get("command"):
        lines.append(f"Command: `{m['command']}`")
    return "\n".join(lines) + "\n"
