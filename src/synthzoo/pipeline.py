"""The main job on embedded defaults (``synthzoo run-default``).

Stages run in order, each writing under ``out``; a stage whose outputs are complete is
skipped on a re-run, so an interrupted run resumes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path


def run_default(out: str | Path = "out", *, quick: bool = False) -> dict:
    """Previews of every registered generator (2D and 3D where supported)."""
    from rich.progress import Progress

    from synthzoo.generators import GENERATORS
    from synthzoo.generators.preview import preview

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"previews": []}
    gens = GENERATORS.load_all()
    jobs = [(name, d) for name, cls in gens.items() for d in cls.dims]
    size = {2: 128, 3: 96} if not quick else {2: 32, 3: 24}
    with Progress() as progress:
        task = progress.add_task("previews", total=len(jobs))
        for name, d in jobs:
            path = out / "previews" / f"{name}_{d}d.png"
            if not path.exists():
                t = time.perf_counter()
                preview(name, n=8 if not quick else 2, seed=0, dims=d, size=size[d], out=path)
                progress.console.print(f"{path} ({time.perf_counter() - t:.1f} s)")
            report["previews"].append(str(path))
            progress.advance(task)
    (out / "report.json").write_text(json.dumps(report, indent=1))
    return report
