"""Report of the speed benchmark: markdown tables and a log-scale figure."""

from __future__ import annotations

import json
from pathlib import Path

from synthzoo._io import save_figure, write_text
from synthzoo.benchmarks.speed.runner import SpeedResult
from synthzoo.benchmarks.speed.tools import REFERENCE, TOOLS


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
