"""Speed benchmark: seconds per synthetic sample.

In one run (so that every tool sees the same machine load) it times

1. the full ``neuro-mri`` pipeline against the closest equivalents in other libraries on the
   SAME brain label maps, for each size and thread count: TorchIO (``RandomLabelsToImage`` +
   ``RandomAffine`` + ``RandomElasticDeformation`` + ``RandomBiasField`` + ``RandomBlur`` +
   ``RandomGamma`` + ``RandomNoise``; Perez-Garcia et al. 2021), cornucopia
   (``SynthFromLabelTransform``, its SynthSeg recipe; Brudfors et al.) and MONAI
   (``Rand3DElastic`` with affine + bias + smooth + contrast + noise, after a per-label
   Gaussian-mixture lookup since MONAI has no labels-to-image transform).  A tool that is not
   installed is skipped, and the reason is recorded;
2. every registered generator (``GENERATORS.load_all()``, built-ins and plugins) at one 2D and
   one 3D size, next to ``neuro-mri``.

Results: ``speed.json`` (all times), ``speed.md`` (tables) and ``speed.png`` (log-scale bars)
in the output folder, each written to a temporary name and renamed.  Measurements already
done by an interrupted run with the same settings are kept in ``speed.partial.json`` and
not repeated.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from synthzoo._io import save_figure, write_text

TOOLS = ("synthzoo", "torchio", "cornucopia", "monai")
REFERENCE = "synthzoo"
REFERENCE_GENERATOR = "neuro-mri"
#: Environment variables that change threading behaviour; recorded with the results.
THREAD_ENV = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GOMP_SPINCOUNT")


def thread_env() -> dict[str, str]:
    """The threading variables set in this process's environment."""
    return {k: os.environ[k] for k in THREAD_ENV if os.environ.get(k)}


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


# --------------------------------------------------------------------------- timing
def set_threads(n: int) -> None:
    """Use ``n`` threads in torch and (when installed) SimpleITK, which TorchIO resamples with."""
    torch.set_num_threads(n)
    try:
        import SimpleITK as sitk

        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(n)
    except ImportError:  # pragma: no cover - SimpleITK comes with TorchIO
        pass


def time_calls(fn: Callable[[], Any], *, repeats: int, warmup: int, device: str = "cpu") -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed calls."""
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(warmup):
        fn()
    sync()
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync()
        out.append(time.perf_counter() - t)
    return out


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):  # pragma: no cover - not on every platform
        return None


# --------------------------------------------------------------------------- label maps
def brain_labels(size: int, device: str = "cpu", seed: int = 0) -> tuple[torch.Tensor, float]:
    """The neuro-MRI training label map (tissue + non-brain shell) at ``size``^3, at the
    spacing where the brain fits; ``int64 (1, 1, size, size, size)`` and the spacing."""
    from synthzoo.generators.preview import make_generator

    gen = make_generator(REFERENCE_GENERATOR, size=size, dims=3)
    g = torch.Generator().manual_seed(seed)
    return gen.default_labels(batch=1, size=size, dims=3, generator=g).to(device), gen.spacing


# --------------------------------------------------------------------------- pipelines
def synthzoo_pipeline(labels: torch.Tensor, spacing: float, device: str, seed: int) -> Callable[[], Any]:
    from synthzoo.generators import create

    size = tuple(labels.shape[2:])
    gen = create(REFERENCE_GENERATOR, out_size=size, spacing=spacing).to(device)
    g = torch.Generator(device=device).manual_seed(seed)

    def run() -> Any:
        with torch.no_grad():
            return gen(labels, generator=g)

    return run


def torchio_pipeline(labels: torch.Tensor, spacing: float, device: str, seed: int) -> Callable[[], Any]:
    """TorchIO's closest equivalent of the neuro-MRI pipeline (CPU only)."""
    import torchio as tio

    torch.manual_seed(seed)  # TorchIO draws from the global RNG
    transform = tio.Compose([
        tio.RandomLabelsToImage(label_key="label", image_key="image"),
        tio.RandomAffine(scales=(0.8, 1.2), degrees=15),
        tio.RandomElasticDeformation(),
        tio.RandomBiasField(),
        tio.RandomBlur(),
        tio.RandomGamma(),
        tio.RandomNoise(),
    ])
    subject = tio.Subject(label=tio.LabelMap(tensor=labels[0].cpu(), affine=_affine(spacing)))
    return lambda: transform(subject)


def cornucopia_pipeline(labels: torch.Tensor, spacing: float, device: str, seed: int) -> Callable[[], Any]:
    """cornucopia's SynthSeg recipe (``SynthFromLabelTransform``) with linear fields
    (``order=1``), as ours are."""
    import cornucopia as cc

    torch.manual_seed(seed)
    transform = cc.SynthFromLabelTransform(order=1)
    lab = labels[0]

    def run() -> Any:
        with torch.no_grad():
            return transform(lab)

    return run


def monai_pipeline(labels: torch.Tensor, spacing: float, device: str, seed: int) -> Callable[[], Any]:
    """MONAI: a per-label Gaussian-mixture lookup (MONAI has no labels-to-image transform),
    then ``Rand3DElastic`` (with rotation, scaling, shear), bias field, Gaussian smoothing,
    gamma contrast and Rician noise, all with probability 1."""
    import monai.transforms as mt

    n_labels = int(labels.max()) + 1
    g = torch.Generator(device=labels.device).manual_seed(seed)

    def labels_to_image(d: dict) -> dict:
        lab = d["label"]
        means = torch.rand(n_labels, generator=g, device=lab.device) * 200 + 25
        stds = torch.rand(n_labels, generator=g, device=lab.device) * 20 + 5
        noise = torch.randn(lab.shape, generator=g, device=lab.device)
        return {**d, "image": means[lab] + stds[lab] * noise}

    rot = math.pi / 12
    transform = mt.Compose([
        mt.Lambda(labels_to_image),
        mt.Rand3DElasticd(keys=["image", "label"], sigma_range=(5, 7), magnitude_range=(50, 150),
                          prob=1.0, rotate_range=(rot, rot, rot), shear_range=0.012,
                          scale_range=(0.2, 0.2, 0.2), mode=("bilinear", "nearest"),
                          padding_mode="zeros", device=torch.device(device)),
        mt.RandBiasFieldd(keys="image", prob=1.0),
        mt.RandGaussianSmoothd(keys="image", prob=1.0),
        mt.RandAdjustContrastd(keys="image", prob=1.0),
        mt.RandRicianNoised(keys="image", prob=1.0, std=0.05, relative=True),
    ])
    transform.set_random_state(seed=seed)
    data = {"label": labels[0]}

    def run() -> Any:
        with torch.no_grad():
            return transform(data)

    return run


def _affine(spacing: float):
    import numpy as np

    return np.diag([spacing, spacing, spacing, 1.0])


PIPELINES: dict[str, Callable[..., Callable[[], Any]]] = {
    "synthzoo": synthzoo_pipeline,
    "torchio": torchio_pipeline,
    "cornucopia": cornucopia_pipeline,
    "monai": monai_pipeline,
}


def tool_device(tool: str, device: str) -> str:
    """TorchIO works on CPU tensors only; the others follow ``device``."""
    return "cpu" if tool == "torchio" else device


def unavailable_tools(tools: Sequence[str]) -> dict[str, str]:
    """Tools that cannot be imported, with the reason (they are skipped, not failed)."""
    import importlib

    out = {}
    for tool in tools:
        try:
            importlib.import_module(tool)
        except Exception as exc:  # noqa: BLE001 - any import failure means "skip this tool"
            out[tool] = f"not installed or not importable ({type(exc).__name__}: {exc}); pip install {tool}"
    return out


# --------------------------------------------------------------------------- the run
def _key(*parts: Any) -> str:
    return "/".join(str(p) for p in parts)



def _summary(times: list[float]) -> dict[str, Any]:
    return {"median_s": statistics.median(times), "min_s": min(times),
            "times_s": [round(t, 5) for t in times]}


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
        "package_version": __version__, "torch": torch.__version__, "device": config.device,
        "cpu_count": os.cpu_count(), "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cuda_device": torch.cuda.get_device_name() if config.device == "cuda" else None,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_before": load_average(), "command": command, "config": cfg, "env": thread_env(),
        "versions": _versions(tools),
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
                                     "spacing": spacing, **_summary(times)}
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
    result.meta["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
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

        return _summary(time_calls(run, repeats=config.repeats, warmup=config.warmup,
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


def _versions(tools: Sequence[str]) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for t in tools:
        try:
            out[t] = version(t)
        except PackageNotFoundError:
            out[t] = "source"
    return out


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


# --------------------------------------------------------------------------- outputs
def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f} s" if x >= 0.01 else f"{x * 1000:.2f} ms"


def markdown(result: SpeedResult) -> str:
    """The results as markdown tables (seconds per sample, median over repeats)."""
    cfg = result.meta["config"]
    tools = [t for t in TOOLS if any(r["tool"] == t for r in result.pipeline)]
    lines = [
        "## neuro-MRI pipeline vs other tools",
        "",
        f"Seconds per sample (median of {cfg['repeats']} after {cfg['warmup']} warm-up), "
        f"same brain label map for every tool; `x` = tool time / synthzoo time.",
        "",
        "| size | threads | " + " | ".join(tools) + " | "
        + " | ".join(f"{t} / synthzoo" for t in tools if t != REFERENCE) + " |",
        "|---" * (2 + 2 * len(tools) - 1) + "|",
    ]
    for size in cfg["sizes"]:
        for threads in cfg["threads"]:
            rows = {r["tool"]: r for r in result.pipeline
                    if r["size"] == size and r["threads"] == threads}
            if not rows:
                continue
            cells = [f"{size}^3", str(threads)]
            cells += [_fmt(rows[t]["median_s"]) if t in rows else "-" for t in tools]
            cells += [f"{rows[t]['ratio_to_synthzoo']:.1f}x" if t in rows else "-"
                      for t in tools if t != REFERENCE]
            lines.append("| " + " | ".join(cells) + " |")
    for tool, why in result.skipped.items():
        lines.append(f"\nSkipped {tool}: {why}")
    if result.generators:
        lines += [
            "",
            "## Every registered generator",
            "",
            f"Seconds per sample on each generator's own default label maps, "
            f"{result.generators[0]['threads']} thread(s); `x neuro-mri` = time / neuro-mri's "
            "at the same dims.",
            "",
            "| generator | dims | size | s/sample | x neuro-mri |",
            "|---|---|---|---|---|",
        ]
        for r in sorted(result.generators, key=lambda r: (r["dims"], r["generator"])):
            shape = f"{r['size']}^{r['dims']}"
            ratio = "-" if r.get("ratio_to_neuro_mri") is None else f"{r['ratio_to_neuro_mri']:.2f}"
            time_cell = _fmt(r["median_s"]) if "error" not in r else f"error: {r['error']}"
            lines.append(f"| {r['generator']} | {r['dims']}D | {shape} | {time_cell} | {ratio} |")
    m = result.meta
    lines += ["", f"Machine: {m['cpu_count']} CPU cores ({m['processor']}), {m['platform']}, "
              f"torch {m['torch']}, device {m['device']}"
              + (f" ({m['cuda_device']})" if m.get("cuda_device") else "")
              + f"; load average (1, 5, 15 min) before {m['load_before']}, "
              f"after {m.get('load_after')}."]
    if m.get("command"):
        lines.append(f"Command: `{m['command']}`")
    return "\n".join(lines) + "\n"


def figure(result: SpeedResult, path: Path) -> None:
    """Log-scale bars: pipeline tools per size x threads, and every generator."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gens = [r for r in result.generators if r["median_s"] is not None]
    ncols = 2 if gens else 1
    fig, axes = plt.subplots(1, ncols, figsize=(6.5 * ncols, 4.2), squeeze=False)
    ax = axes[0, 0]
    tools = [t for t in TOOLS if any(r["tool"] == t for r in result.pipeline)]
    groups = sorted({(r["size"], r["threads"]) for r in result.pipeline})
    width = 0.8 / max(len(tools), 1)
    for i, tool in enumerate(tools):
        vals = []
        for g in groups:
            hit = [r["median_s"] for r in result.pipeline if (r["size"], r["threads"]) == g and r["tool"] == tool]
            vals.append(hit[0] if hit else float("nan"))
        bars = ax.bar([k + i * width for k in range(len(groups))], vals, width, label=tool)
        ax.bar_label(bars, labels=[_fmt(v) if v == v else "" for v in vals], fontsize=7)
    ax.set_xticks([k + width * (len(tools) - 1) / 2 for k in range(len(groups))])
    ax.set_xticklabels([f"{s}^3\n{t} thr" for s, t in groups])
    ax.set_yscale("log")
    ax.set_ylabel("seconds per sample (log)")
    ax.set_title("neuro-MRI pipeline", pad=24)
    ax.legend(ncol=len(tools), fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              frameon=False)
    if gens:
        ax = axes[0, 1]
        gens = sorted(gens, key=lambda r: (r["dims"], r["generator"]))
        colors = ["tab:blue" if r["dims"] == 2 else "tab:orange" for r in gens]
        bars = ax.bar(range(len(gens)), [r["median_s"] for r in gens], color=colors)
        ax.bar_label(bars, labels=[_fmt(r["median_s"]) for r in gens], fontsize=7)
        ax.set_xticks(range(len(gens)))
        ax.set_xticklabels([f"{r['generator']}\n{r['size']}^{r['dims']}" for r in gens],
                           rotation=45, ha="right", fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("seconds per sample (log)")
        ax.set_title(f"generators, 2D (blue) and 3D (orange), {gens[0]['threads']} thread(s)")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def write_outputs(result: SpeedResult, out: Path) -> dict[str, Path]:
    paths = {"json": out / "speed.json", "md": out / "speed.md", "png": out / "speed.png"}
    write_text(paths["json"], json.dumps(result.to_dict(), indent=1))
    write_text(paths["md"], markdown(result))
    figure(result, paths["png"])
    return paths


__all__ = ["SpeedConfig", "SpeedResult", "markdown", "run_speed", "step_times", "time_calls",
           "write_outputs"]
