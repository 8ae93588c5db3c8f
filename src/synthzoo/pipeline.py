"""The main job on embedded defaults (``synthzoo run-default``).

Stages run in order, each writing under ``out``:

1. ``previews``: a montage of every registered generator (2D and 3D where supported);
2. ``testsets``: every registered test set built as a chunked Zarr store (small default
   sizes; ``quick``: tiny ones) and a figure of each, one panel per contrast;
3. ``zoo``: every bundled zoo model evaluated on the held-out neuro anatomy it never
   trained on (Dice per class, JSON per model; each network run once per image, as in the
   benchmark stage; a JSON of other weights or of mirror averaging is measured again);
4. ``benchmark``: the bundled zoo models and the classical baselines on the test sets of
   stage 2, one case per contrast, each network run once per image (suite ``main``; ``quick``:
   suite ``quick``; records,
   done-markers, tables and figure under ``out/benchmark``; resumable run by run;
   ``synthzoo bench run full --root out/testsets --out out/published`` runs every case with
   mirror averaging, as published (``scripts/publish_leaderboard.sh``);
   ``workers``: the runs in that many local worker processes; by default in this process: on
   the 2-core development machine the main job took 11.5 min with 2 workers (1199 s CPU, 306 s
   of it system time) against 8.2 min in this process one run at a time (710 s CPU); with two
   runs in flight in threads, as now, 7.5 min (719 s CPU), and 5.3 min (532 s CPU) once the
   main suite dropped k-means (105 runs) and the head test sets' smooth fields got cheaper);
5. ``leaderboard``: the static leaderboard site built from the benchmark records into
   ``out/leaderboard`` (open ``out/leaderboard/index.html``; rebuilt only when the records
   changed).

A stage's output is written under a temporary name and renamed when complete, and a stage
whose outputs exist is skipped on a re-run, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

from synthzoo._io import write_text


def _previews(out: Path, quick: bool, progress, log: Callable[[str], None]) -> list[str]:
    from synthzoo.generators import GENERATORS
    from synthzoo.generators.tools.preview import preview

    gens = GENERATORS.load_all()
    jobs = [(name, d) for name, cls in gens.items() for d in cls.dims]
    size = {2: 128, 3: 96} if not quick else {2: 32, 3: 24}
    paths = []
    task = progress.add_task("previews", total=len(jobs))
    for name, d in jobs:
        path = out / "previews" / f"{name}_{d}d.png"
        if not path.exists():
            t = time.perf_counter()
            preview(name, n=8 if not quick else 2, seed=0, dims=d, size=size[d], out=path)
            log(f"{path} ({time.perf_counter() - t:.1f} s)")
        paths.append(str(path))
        progress.advance(task)
    return paths


def _testsets(out: Path, quick: bool) -> dict[str, dict[str, str]]:
    """Build every test set under ``out/testsets`` (resumable) and draw its figure."""
    from synthzoo.datasets import build_all
    from synthzoo.datasets.figures import figure

    paths = build_all(out / "testsets", quick=quick)
    report = {}
    for name, store in paths.items():
        png = out / "testsets" / f"{name}{'-quick' if quick else ''}.png"
        if not png.exists():
            figure(name, root=Path(store).parent, out=png)  # written atomically
        report[name] = {"store": str(store), "figure": str(png)}
    return report


def _zoo(out: Path, quick: bool, progress, log: Callable[[str], None]) -> dict[str, str]:
    """Held-out Dice of each bundled neuro-MRI model (``quick`` evaluates a few slices)."""
    from synthzoo.zoo.heldout import evaluate
    from synthzoo.zoo.models import bundled_cards, create_model

    cards = [c for c in bundled_cards() if c.domain == "neuro-mri" and c.dims == 2]
    task = progress.add_task("zoo held-out", total=len(cards))
    paths = {}
    for card in cards:
        path = out / "zoo" / f"{card.name}{'-quick' if quick else ''}.json"
        if not _measured(path, card.sha256):
            t = time.perf_counter()
            model = create_model(card.name, pretrained=True, offline=True)
            metrics, _ = evaluate(model, card, slices=slice(12, 14) if quick else None, tta=False)
            write_text(path, json.dumps({"model": card.name, "sha256": card.sha256, "tta": False, "dice": metrics,
                                         "seconds": round(time.perf_counter() - t, 2)}, indent=1))
            log(f"{path} ({time.perf_counter() - t:.1f} s)")
        paths[card.name] = str(path)
        progress.advance(task)
    return paths


def _measured(path: Path, sha256: str) -> bool:
    """Whether ``path`` holds a held-out result of these weights, run once per image."""
    try:
        done = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(done, dict) and done.get("sha256") == sha256 and done.get("tta") is False


def auto_workers() -> int | None:
    """Local worker processes for the benchmark stage: one per usable CPU core, at most 4;
    ``None`` (run in this process) on a single core."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cores, 4) if cores >= 2 else None


def _benchmark(out: Path, quick: bool, workers: int | None) -> dict[str, str]:
    """Generalization benchmark on the test sets built by ``_testsets`` (resumable)."""
    from synthzoo.benchmarks.runner import run
    from synthzoo.leaderboard.tables import write_tables

    bench = out / "benchmark"
    summary = run(None, None, out / "testsets", bench, suite="quick" if quick else "main", workers=workers)
    tables = {n: str(bench / n) for n in ("benchmark.md", "benchmark.csv", "benchmark.png")}
    if summary["new"] or not all(Path(p).exists() for p in tables.values()):
        tables = write_tables(bench)
    return {"records": summary["records"], **tables}


def _leaderboard(out: Path, records: str, log: Callable[[str], None]) -> dict[str, str]:
    """The static leaderboard site of the benchmark records (skipped when up to date)."""
    from synthzoo.leaderboard.site import build, up_to_date

    site = out / "leaderboard"
    if not up_to_date(site, [records]):
        build([records], site)
    index = site / "index.html"
    log(f"leaderboard: open {index}")
    return {"site": str(site), "index": str(index)}


def run_default(out: str | Path = "out", *, quick: bool = False, workers: int | None = None) -> dict:
    """Run every stage; returns (and writes to ``out/report.json``) the paths it made.
    ``workers``: local processes of the benchmark stage (``0``: :func:`auto_workers`; ``None``
    or ``1``: this process only)."""
    if workers == 0:
        workers = auto_workers()
    elif workers is not None and workers < 0:
        raise ValueError(f"workers must be >= 0, got {workers}")
    if workers == 1:
        workers = None
    from rich.progress import Progress

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {}
    seconds: dict[str, float] = {}
    t = time.perf_counter()

    def timed(stage: str) -> None:
        nonlocal t
        now = time.perf_counter()
        seconds[stage] = round(now - t, 1)
        print(f"stage {stage}: {seconds[stage]:.1f} s", flush=True)
        t = now

    with Progress() as progress:
        report["previews"] = _previews(out, quick, progress, progress.console.print)
    timed("previews")
    report["testsets"] = _testsets(out, quick)  # build_all shows its own progress
    timed("testsets")
    with Progress() as progress:
        report["zoo"] = _zoo(out, quick, progress, progress.console.print)
    timed("zoo")
    report["benchmark"] = _benchmark(out, quick, workers)  # the runner shows its own progress
    timed("benchmark")
    report["leaderboard"] = _leaderboard(out, report["benchmark"]["records"], print)
    timed("leaderboard")
    report["seconds"] = seconds
    write_text(out / "report.json", json.dumps(report, indent=1))
    return report
