"""Chunked sliding-window inference on Dask arrays vs MONAI's ``sliding_window_inference``.

``synthzoo bench inference`` segments the same volume with the same network both ways and
reports seconds and peak memory side by side:

- **synthzoo** (:func:`synthzoo.zoo.inference.sliding_window_dask`): the input is a Dask array
  read lazily from a Zarr store, the windows are streamed slab by slab, and the labels are
  written slab by slab into a Zarr store;
- **MONAI** (``monai.inferers.sliding_window_inference``, ``mode="gaussian"``,
  ``sigma_scale=0.125``: the same Gaussian blending): the volume is read from the same Zarr
  store into memory, segmented whole, and the labels written to a Zarr store.

Both blend softmax probabilities of the same windows size and overlap, in batches of the same
size.  Each (tool, size) runs in its own process (``python -m
synthzoo.benchmarks.speed.inference``), so peak memory is that process's peak resident set
(``ru_maxrss``), imports included; the process reports the seconds of the inference itself
(read, segment, write).  Afterwards the two label maps are compared voxel by voxel (they
differ only where window placement differs: MONAI aligns the last window to the end, synthzoo
spreads windows evenly).

The network is a 3D U-Net of the zoo's architecture (:class:`synthzoo.zoo.unet.UNet`) with
seeded random weights: untrained weights cost the same time as trained ones.  The input is a
smooth random volume written slab by slab (never whole in memory).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from synthzoo._io import write_text

TOOLS = ("synthzoo", "monai")


@dataclass(frozen=True)
class InferenceConfig:
    """What ``bench inference`` runs: ``sizes`` (cube sides), the U-Net (``levels``,
    ``features``, ``convs`` per level, ``classes``), window ``patch``, ``overlap`` and ``batch``
    (windows per network call), ``threads`` (torch threads of each process).  The default
    network is small (2 levels, 4 features, 1 convolution per level) so that 512^3 runs in
    minutes per tool on 2 CPU cores: the windows' bookkeeping weighs as much as the network."""

    sizes: tuple[int, ...] = (256, 512)
    patch: int = 64
    overlap: float = 0.25
    batch: int = 4
    levels: int = 2
    features: int = 4
    convs: int = 1
    classes: int = 4
    threads: int = 2
    tools: tuple[str, ...] = TOOLS
    seed: int = 0
    timeout_s: float = 3600.0

    def __post_init__(self) -> None:
        if not self.sizes or min(self.sizes) < 8:
            raise ValueError(f"sizes must be a non-empty list of sizes >= 8, got {self.sizes}")
        div = 2 ** (self.levels - 1)
        if self.patch < div or self.patch % div:
            raise ValueError(f"patch {self.patch} must be a multiple of 2 ** (levels - 1) = {div}")
        if not 0 <= self.overlap < 1:
            raise ValueError(f"overlap must be in [0, 1), got {self.overlap}")
        if min(self.batch, self.threads, self.features, self.convs) < 1 or self.classes < 2:
            raise ValueError("batch, threads, features and convs must be >= 1 and classes >= 2")
        unknown = set(self.tools) - set(TOOLS)
        if unknown or not self.tools:
            raise ValueError(f"tools {sorted(self.tools)}: valid: {', '.join(TOOLS)}")

    @classmethod
    def quick(cls, **overrides: Any) -> "InferenceConfig":
        """Tiny sizes: a smoke test of the whole job."""
        base = dict(sizes=(40,), patch=16, threads=1)
        base.update(overrides)
        return cls(**base)

    def model_kwargs(self) -> dict[str, Any]:
        return dict(dims=3, in_channels=1, out_channels=self.classes, levels=self.levels,
                    features=self.features, convs=self.convs)


def make_model(config: InferenceConfig):
    """The benchmarked network: :class:`~synthzoo.zoo.unet.UNet` with seeded random weights."""
    import torch

    from synthzoo.zoo.unet import UNet

    torch.manual_seed(config.seed)
    return UNet(**config.model_kwargs()).eval()


def make_volume(path: Path, size: int, seed: int = 0) -> Path:
    """A smooth random ``float32 size^3`` volume in a Zarr store (64^3 chunks), written slab by
    slab; reused when it exists with the right shape."""
    import zarr

    if path.exists():
        z = zarr.open_array(str(path), mode="r")
        if z.shape == (size,) * 3:
            return path
    tmp = path.with_name(path.name + ".partial")
    z = zarr.open_array(str(tmp), mode="w", shape=(size,) * 3, chunks=(64,) * 3, dtype="float32")
    rng = np.random.default_rng(seed)
    coarse = rng.random((math.ceil(size / 16) + 2,) * 3).astype(np.float32)
    axis = np.arange(size) / 16
    from scipy.ndimage import map_coordinates

    for lo in range(0, size, 64):
        hi = min(lo + 64, size)
        grid = np.meshgrid(axis[lo:hi], axis, axis, indexing="ij")
        slab = map_coordinates(coarse, grid, order=3, mode="nearest").astype(np.float32)
        slab += 0.05 * rng.standard_normal(slab.shape, dtype=np.float32)
        z[lo:hi] = slab
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)
    return path


# --------------------------------------------------------------------------- one tool, own process
def _child(tool: str, config: InferenceConfig, src: Path, dst: Path) -> dict[str, Any]:
    import torch
    import zarr

    torch.set_num_threads(config.threads)
    model = make_model(config)
    patch = (config.patch,) * 3
    if tool == "synthzoo":
        import dask.array as da

        from synthzoo.zoo.inference import sliding_window_dask
    else:
        from monai.inferers import sliding_window_inference
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # imports, model
    t0 = time.perf_counter()
    if tool == "synthzoo":
        image = da.from_zarr(str(src))
        out = zarr.open_array(str(dst), mode="w", shape=image.shape, chunks=(64,) * 3, dtype="uint8")
        sliding_window_dask(model, image, patch, n_classes=config.classes, out=out,
                            overlap=config.overlap, divisor=model.divisor(), batch=config.batch)
    else:
        vol = torch.from_numpy(zarr.open_array(str(src), mode="r")[:])[None, None]
        with torch.no_grad():
            prob = sliding_window_inference(vol, patch, config.batch, lambda x: model(x).softmax(1),
                                            overlap=config.overlap, mode="gaussian",
                                            sigma_scale=0.125)
        labels = prob[0].argmax(0).to(torch.uint8).numpy()
        out = zarr.open_array(str(dst), mode="w", shape=labels.shape, chunks=(64,) * 3, dtype="uint8")
        out[:] = labels
    return {"inference_s": round(time.perf_counter() - t0, 3), "rss_before_mb": round(rss_before, 1)}


def agreement(a: Path, b: Path) -> float:
    """Fraction of voxels with the same label in two Zarr label maps (read slab by slab)."""
    import zarr

    za, zb = zarr.open_array(str(a), mode="r"), zarr.open_array(str(b), mode="r")
    same = 0
    for lo in range(0, za.shape[0], 64):
        same += int((za[lo : lo + 64] == zb[lo : lo + 64]).sum())
    return same / math.prod(za.shape)


# --------------------------------------------------------------------------- the job
@dataclass
class InferenceResult:
    meta: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_inference(config: InferenceConfig, out: str | Path, *, command: str = "",
                  progress: bool = True) -> InferenceResult:
    """Run every (size, tool) in its own process; write ``inference.json`` and
    ``inference.md`` to ``out`` (inputs and label maps under ``out/data``)."""
    import os

    from rich.progress import Progress

    from synthzoo import __version__
    from synthzoo._threads import configure_env
    from synthzoo.benchmarks.speed.timing import (load_average, machine, run_measured, thread_env,
                                                  utc_now, versions)
    from synthzoo.benchmarks.speed.tools import unavailable_tools

    out = Path(out)
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    skipped = unavailable_tools([t for t in config.tools if t != "synthzoo"])
    tools = [t for t in config.tools if t not in skipped]
    model = make_model(config)
    meta = {"package_version": __version__, **machine("cpu"), "started": utc_now(),
            "load_before": load_average(), "command": command, "config": asdict(config),
            "env": thread_env(), "versions": versions(tools),
            "parameters": sum(p.numel() for p in model.parameters())}
    result = InferenceResult(meta=meta, skipped=skipped)
    env = dict(os.environ)
    configure_env(env)  # the child processes get the CLI's threading defaults too
    with Progress(disable=not progress) as bar:
        task = bar.add_task("inference", total=len(config.sizes) * (len(tools) + 1))
        for size in config.sizes:
            bar.update(task, description=f"input {size}^3")
            src = make_volume(data / f"input-{size}.zarr", size, config.seed)
            bar.advance(task)
            labels = {}
            for tool in tools:
                bar.update(task, description=f"{tool} {size}^3")
                dst = data / f"labels-{tool}-{size}.zarr"
                cmd = [sys.executable, "-m", "synthzoo.benchmarks.speed.inference", tool, str(src),
                       str(dst), json.dumps(asdict(config))]
                m = run_measured(cmd, env=env, timeout=config.timeout_s)
                row = {"tool": tool, "size": size, **{k: m[k] for k in (
                    "wall_s", "cpu_s", "peak_rss_mb", "load_before", "load_after", "timed_out")}}
                if m["returncode"] == 0:
                    row.update(json.loads(m["stdout"].strip().splitlines()[-1]))
                    labels[tool] = dst
                else:
                    tail = (m["stderr"].strip().splitlines() or ["no output"])[-1]
                    row["error"] = "timed out" if m["timed_out"] else tail
                result.rows.append(row)
                bar.advance(task)
            if len(labels) == 2:
                same = agreement(*labels.values())
                for r in result.rows:
                    if r["size"] == size:
                        r["agreement"] = round(same, 5)
    result.meta["load_after"] = load_average()
    result.meta["finished"] = utc_now()
    write_text(out / "inference.json", json.dumps(result.to_dict(), indent=1))
    write_text(out / "inference.md", markdown(result))
    return result


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def _growth(r: dict | None) -> str:
    """Peak RSS minus the RSS after imports and model creation: what the inference added."""
    if r is None or "error" in r:
        return "-"
    return f"{r['peak_rss_mb'] - r['rss_before_mb']:.0f}"


def markdown(result: InferenceResult) -> str:
    """One row per size: seconds and peak memory of both tools, and MONAI / synthzoo ratios."""
    cfg = result.meta["config"]
    rows = {(r["size"], r["tool"]): r for r in result.rows}
    lines = [
        f"3D U-Net (levels {cfg['levels']}, {cfg['features']} base features, {cfg['convs']} "
        f"convolution(s) per level, {cfg['classes']} classes, "
        f"{result.meta['parameters']:,} parameters, untrained), windows {cfg['patch']}^3, overlap "
        f"{cfg['overlap']}, {cfg['batch']} windows per call, {cfg['threads']} torch thread(s); "
        "one process per tool and size; peak memory = the process's peak RSS (imports included), "
        "growth = peak minus the RSS after imports and model creation.",
        "",
        "| size | synthzoo s | MONAI s | MONAI / synthzoo time | synthzoo peak MB | MONAI peak MB "
        "| MONAI / synthzoo memory | synthzoo growth MB | MONAI growth MB | same label |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def cell(r: dict | None, key: str, fmt: str) -> str:
        if r is None:
            return "-"
        if "error" in r:
            return f"error: {r['error']}"
        return format(r[key], fmt)

    for size in cfg["sizes"]:
        a, b = rows.get((size, "synthzoo")), rows.get((size, "monai"))
        ok = lambda r: r is not None and "error" not in r  # noqa: E731
        lines.append(
            f"| {size}^3 | {cell(a, 'inference_s', '.1f')} | {cell(b, 'inference_s', '.1f')} | "
            f"{_ratio(b['inference_s'], a['inference_s']) if ok(a) and ok(b) else '-'} | "
            f"{cell(a, 'peak_rss_mb', '.0f')} | {cell(b, 'peak_rss_mb', '.0f')} | "
            f"{_ratio(b['peak_rss_mb'], a['peak_rss_mb']) if ok(a) and ok(b) else '-'} | "
            f"{_growth(a)} | {_growth(b)} | {(a or b or {}).get('agreement', '-')} |")
    for tool, why in result.skipped.items():
        lines.append(f"\nSkipped {tool}: {why}")
    m = result.meta
    lines += ["", "Seconds: the inference itself (read, segment, write labels); the processes' wall "
              "times with start-up and imports are in `inference.json`.",
              "", f"Machine: {m['cpu_count']} CPU cores ({m['processor']}), torch {m['torch']}; load "
              f"average (1, 5, 15 min) before {m['load_before']}, after {m.get('load_after')}."]
    if m.get("command"):
        lines.append(f"Command: `{m['command']}`")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Child process: ``TOOL SRC DST CONFIG_JSON``; prints one JSON line."""
    p = argparse.ArgumentParser(prog="python -m synthzoo.benchmarks.speed.inference")
    p.add_argument("tool", choices=TOOLS)
    p.add_argument("src", type=Path)
    p.add_argument("dst", type=Path)
    p.add_argument("config")
    a = p.parse_args(argv)
    cfg = json.loads(a.config)
    config = InferenceConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()})
    print(json.dumps(_child(a.tool, config, a.src, a.dst)))


if __name__ == "__main__":
    main()
