"""The generation-speed run: seconds per synthetic sample.

In one run (so that every tool sees the same machine load) it times

1. the full ``neuro-mri`` pipeline against the tool adapters of
   :mod:`synthzoo.benchmarks.speed.tools` (TorchIO, cornucopia, MONAI) on the SAME brain label
   maps, for each size and thread count.  A tool that is not installed is skipped, and the
   reason is recorded;
2. every registered generator (``GENERATORS.load_all()``, built-ins and plugins) at one 2D and
   one 3D size, next to ``neuro-mri``.

Results (:mod:`synthzoo.benchmarks.speed.report`): ``speed.json`` (all times), ``speed.md``
(tables) and ``speed.png`` (log-scale bars) in the output folder, each written to a temporary
name and renamed.  Measurements already done by an interrupted run with the same settings are
kept in ``speed.partial.json`` and not repeated.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from synthzoo._io import write_text
from synthzoo.benchmarks.speed.timing import (load_average, machine, set_threads, summary,
                                              thread_env, time_calls, utc_now, versions)
from synthzoo.benchmarks.speed.tools import (PIPELINES, REFERENCE, REFERENCE_GENERATOR, TOOLS,
                                             brain_labels, tool_device, unavailable_tools)


@dataclass(frozen=True)
class SpeedConfig:
    """What one benchmark run measures.  ``tools`` are pipeline tools to compare (synthzoo
    always runs); ``gen_sizes`` are the (2D, 3D) sizes of the per-generator timings."""

    sizes: tuple[int, ...] = (96, 160)
    threads: tuple[int, ...] = (1, 2)
    repeats: int = 5
    warmup: int = 1
    device: str = "cpu"
    tools: tuple[str, ...] = ("torchio", "cornucopia", "monai")
    generators: bool = True
    gen_sizes: tuple[int, int] = (256, 96)
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.sizes or min(self.sizes) < 8:
            raise ValueError(f"sizes must be a non-empty list of sizes >= 8, got {self.sizes}")
        if not self.threads or min(self.threads) < 1:
            raise ValueError(f"threads must be a non-empty list of counts >= 1, got {self.threads}")
        if self.repeats < 1 or self.warmup < 0:
            raise ValueError(f"repeats must be >= 1 and warmup >= 0, got {self.repeats}, {self.warmup}")
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {self.device!r}")
        unknown = set(self.tools) - set(TOOLS[1:])
        if unknown:
            raise ValueError(f"unknown tools {sorted(unknown)}; available: {', '.join(TOOLS[1:])}")
        if len(self.gen_sizes) != 2 or min(self.gen_sizes) < 8:
            raise ValueError(f"gen_sizes must be (2D size, 3D size), each >= 8, got {self.gen_sizes}")

    @classmethod
    def quick(cls, **overrides: Any) -> "SpeedConfig":
        """Tiny sizes and few repeats: a smoke test of the whole benchmark."""
        base = dict(sizes=(24,), threads=(1,), repeats=2, warmup=0, gen_sizes=(24, 16))
        base.update(overrides)
        return cls(**base)


@dataclass
class SpeedResult:
    meta: dict[str, Any]
    pipeline: list[dict[str, Any]] = field(default_factory=list)
    generators: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- the run
def _key(*parts: Any) -> str:
    return "/".join(str(p) for p in parts)



def run_speed(config: SpeedConfig, out: str | Path, *, command: str = "",
              progress: bool = True) -> SpeedResult:
    """Run the benchmark and write ``speed.json``, ``speed.md`` and ``speed.png`` to ``out``."""
    from rich.progress import Progress

    from synthzoo import __version__
    from synthzoo.generators import GENERATORS

    if config.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but torch sees no CUDA device")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    partial_path = out / "speed.partial.json"
    cfg = asdict(config)
    done: dict[str, dict] = {}
    if partial_path.exists():
        saved = json.loads(partial_path.read_text())
        if saved.get("config") == json.loads(json.dumps(cfg)):
            done = saved.get("done", {})

    skipped = unavailable_tools(config.tools)
    tools = [REFERENCE] + [t for t in config.tools if t not in skipped]
    gens = GENERATORS.load_all() if config.generators else {}
    gen_jobs = [(name, d) for name, cls in gens.items() for d in cls.dims if d in (2, 3)]
    n_jobs = len(config.sizes) * len(config.threads) * len(tools) + len(gen_jobs)
    meta = {
        "package_version": __version__, **machine(config.device), "started": utc_now(),
        "load_before": load_average(), "command": command, "config": cfg, "env": thread_env(),
        "versions": versions(tools),
    }
    result = SpeedResult(meta=meta, skipped=skipped)

    def save_partial() -> None:
        write_text(partial_path, json.dumps({"config": cfg, "done": done}, indent=1))

    with Progress(disable=not progress, transient=False) as bar:
        task = bar.add_task("speed", total=n_jobs)
        for size in config.sizes:
            labels_cpu, spacing = brain_labels(size, "cpu", config.seed)
            for threads in config.threads:
                row_times: dict[str, dict] = {}
                for tool in tools:
                    key = _key("pipeline", tool, size, threads)
                    bar.update(task, description=f"{tool} {size}^3 x{threads} thr")
                    if key not in done:
                        dev = tool_device(tool, config.device)
                        set_threads(threads)
                        fn = PIPELINES[tool](labels_cpu.to(dev), spacing, dev, config.seed)
                        times = time_calls(fn, repeats=config.repeats, warmup=config.warmup, device=dev)
                        done[key] = {"tool": tool, "size": size, "threads": threads, "device": dev,
                                     "spacing": spacing, **summary(times)}
                        save_partial()
                    row_times[tool] = done[key]
                    bar.advance(task)
                ref = row_times[REFERENCE]["median_s"]
                for tool in tools:
                    r = dict(row_times[tool])
                    r["ratio_to_synthzoo"] = r["median_s"] / ref
                    result.pipeline.append(r)
        threads = max(config.threads)
        set_threads(threads)
        for name, d in gen_jobs:
            size = config.gen_sizes[0] if d == 2 else config.gen_sizes[1]
            key = _key("generator", name, d, size, threads)
            bar.update(task, description=f"{name} {d}D {size}")
            if key not in done:
                done[key] = {"generator": name, "dims": d, "size": size, "threads": threads,
                             "device": config.device,
                             **_time_generator(name, d, size, config)}
                save_partial()
            result.generators.append(dict(done[key]))
            bar.advance(task)
    _add_generator_ratios(result.generators)
    result.meta["load_after"] = load_average()
    result.meta["finished"] = utc_now()
    from synthzoo.benchmarks.speed.report import write_outputs

    write_outputs(result, out)
    partial_path.unlink(missing_ok=True)
    return result


def _time_generator(name: str, d: int, size: int, config: SpeedConfig) -> dict[str, Any]:
    """Time one registered generator on its own default label maps; an error is recorded
    (a broken plugin must not stop the benchmark)."""
    from synthzoo.generators.preview import make_generator

    try:
        gen = make_generator(name, size=size, dims=d).to(config.device)
        g = torch.Generator(device=config.device).manual_seed(config.seed)
        labels = gen.default_labels(batch=1, size=size, dims=d, generator=g)

        def run() -> Any:
            with torch.no_grad():
                return gen(labels, generator=g)

        return summary(time_calls(run, repeats=config.repeats, warmup=config.warmup,
                                   device=config.device))
    except Exception as exc:  # noqa: BLE001 - recorded in the results instead
        return {"median_s": None, "min_s": None, "times_s": [],
                "error": f"{type(exc).__name__}: {exc}"}


def _add_generator_ratios(rows: list[dict[str, Any]]) -> None:
    """``ratio_to_neuro_mri``: a generator's time over neuro-mri's at the same dims."""
    ref = {r["dims"]: r["median_s"] for r in rows if r["generator"] == REFERENCE_GENERATOR}
    for r in rows:
        base = ref.get(r["dims"])
        r["ratio_to_neuro_mri"] = (r["median_s"] / base if base and r["median_s"] is not None
                                   else None)


# --------------------------------------------------------------------------- per step
def step_times(name: str = REFERENCE_GENERATOR, *, size: int = 160, dims: int = 3,
               threads: int = 2, repeats: int = 5, warmup: int = 1, device: str = "cpu",
               seed: int = 0) -> dict[str, float]:
    """Median seconds of each step's ``apply`` (and of drawing all parameters, and the
    total) for generator ``name`` on its default label maps: where the time goes."""
    from synthzoo.generators.base import State
    from synthzoo.generators.preview import make_generator

    set_threads(threads)
    gen = make_generator(name, size=size, dims=dims).to(device)
    g = torch.Generator(device=device).manual_seed(seed)
    labels = gen.default_labels(batch=1, size=size, dims=dims, generator=g)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    names = [f"{i}:{type(s).__name__}" for i, s in enumerate(gen.steps)]
    times: dict[str, list[float]] = {k: [] for k in ["sample_params", *names, "total"]}
    with torch.no_grad():
        for r in range(warmup + repeats):
            t0 = time.perf_counter()
            params = gen.sample_params(labels, generator=g)
            sync()
            t1 = time.perf_counter()
            lap = {"sample_params": t1 - t0}
            state = State(labels, None, (gen.spacing,) * dims)
            for key, step, p in zip(names, gen.steps, params):
                t = time.perf_counter()
                state = step.apply(state, params=p)
                sync()
                lap[key] = time.perf_counter() - t
            lap["total"] = time.perf_counter() - t0
            if r >= warmup:
                for k, v in lap.items():
                    times[k].append(v)
    return {k: statistics.median(v) for k, v in times.items()}
