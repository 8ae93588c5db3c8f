"""Benchmark records -> tables (markdown, CSV) and a figure.  Reads records only.

The summary value is the **mean foreground Dice**: per case, the mean Dice over the labels
that are not ``background`` (labels absent from both truth and prediction are skipped); then
the mean over the cases of each contrast.  Rows are models, columns contrasts, one table per
test set.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from synthzoo._io import save_figure, write_text

from synthzoo.benchmarks.runner import RECORDS, BenchmarkError, read_records

REQUIRED = ("model", "model_kind", "testset", "case", "contrast", "label", "foreground", "dice")
BASELINE_NOTE = ("Baselines (`*`) map intensity clusters to labels with one labelled calibration "
                 "case of the same contrast (another seed); the zoo models see no image of the "
                 "test contrasts.")


def records_frame(records: list[dict[str, Any]] | str | Path) -> pd.DataFrame:
    """Records (a list, or a ``records.jsonl`` path) as a DataFrame; checks required fields."""
    rows = read_records(records) if isinstance(records, (str, Path)) else list(records)
    if not rows:
        raise BenchmarkError(f"no benchmark records in {records if isinstance(records, (str, Path)) else 'input'}")
    df = pd.DataFrame(rows)
    missing = [k for k in REQUIRED if k not in df.columns]
    if missing:
        raise BenchmarkError(f"records lack field(s) {', '.join(missing)}")
    df["dice"] = pd.to_numeric(df["dice"], errors="coerce")
    return df


def summary(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``{test set: DataFrame}`` of mean foreground Dice, rows model, columns contrast
    (contrasts in order of first appearance, models zoo first then baselines, by name)."""
    fg = df[df["foreground"].astype(bool)]
    per_case = fg.groupby(["testset", "model", "model_kind", "contrast", "case"], sort=False)["dice"].mean()
    per_contrast = per_case.groupby(level=["testset", "model", "model_kind", "contrast"], sort=False).mean()
    out = {}
    for ts in dict.fromkeys(df["testset"]):
        part = per_contrast.loc[ts].reset_index()
        contrasts = list(dict.fromkeys(df.loc[df["testset"] == ts, "contrast"]))
        part["row"] = [f"{m}{' *' if k == 'baseline' else ''}" for m, k in zip(part["model"], part["model_kind"])]
        part["order"] = [(k != "zoo", m) for m, k in zip(part["model"], part["model_kind"])]
        rows = [r for _, r in sorted(dict(zip(part["order"], part["row"])).items())]
        table = part.pivot(index="row", columns="contrast", values="dice").reindex(index=rows, columns=contrasts)
        table.index.name, table.columns.name = "model", None
        table["mean"] = table.mean(axis=1)
        out[ts] = table
    return out


def _fmt(v: float) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def markdown(tables: dict[str, pd.DataFrame]) -> str:
    """One markdown table per test set (mean foreground Dice, 3 decimals, ``-`` where missing)."""
    parts = []
    for ts, t in tables.items():
        head = ["model", *map(str, t.columns)]
        lines = [f"### {ts}", "", "| " + " | ".join(head) + " |",
                 "| " + " | ".join(["---"] + ["---:"] * len(t.columns)) + " |"]
        for model, row in t.iterrows():
            lines.append("| " + " | ".join([str(model), *(_fmt(v) for v in row)]) + " |")
        parts.append("\n".join(lines))
    text = "\n\n".join(parts) + "\n"
    if any(str(m).endswith(" *") for t in tables.values() for m in t.index):
        text += "\n" + BASELINE_NOTE + "\n"
    return text


def to_csv(tables: dict[str, pd.DataFrame]) -> str:
    """Long CSV: ``testset,model,contrast,mean_foreground_dice`` (contrast ``mean``: row mean)."""
    rows = []
    for ts, t in tables.items():
        for model, row in t.iterrows():
            for contrast, v in row.items():
                rows.append({"testset": ts, "model": str(model).removesuffix(" *"), "contrast": contrast,
                             "mean_foreground_dice": None if math.isnan(v) else round(float(v), 4)})
    return pd.DataFrame(rows).to_csv(index=False, lineterminator="\n")


def figure(tables: dict[str, pd.DataFrame], out: str | Path) -> Path:
    """One heatmap per test set (models x contrasts, Dice 0..1, values written in the cells)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out = Path(out)
    n = len(tables)
    width = max(6.0, max(0.85 * t.shape[1] for t in tables.values()) + 3.5)
    heights = [1.7 + 0.4 * t.shape[0] for t in tables.values()]
    fig, axes = plt.subplots(n, 1, figsize=(width, sum(heights)), squeeze=False, layout="constrained",
                             gridspec_kw={"height_ratios": heights})
    im = None
    for ax, (ts, t) in zip(axes[:, 0], tables.items()):
        vals = t.to_numpy(dtype=float)
        im = ax.imshow(np.ma.masked_invalid(vals), vmin=0, vmax=1, cmap="viridis", aspect="auto")
        ax.set_xticks(range(t.shape[1]), [str(c) for c in t.columns], rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(t.shape[0]), [str(m) for m in t.index], fontsize=8)
        ax.set_title(f"{ts}: mean foreground Dice", fontsize=9)
        for (i, j), v in np.ndenumerate(vals):
            if not math.isnan(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                        color="black" if v > 0.6 else "white")
    if im is not None:
        fig.colorbar(im, ax=axes[:, 0].tolist(), shrink=0.6, label="Dice")
    return save_figure(fig, out, dpi=110, bbox_inches="tight")


def write_tables(out: str | Path, records: str | Path | None = None) -> dict[str, str]:
    """Tables of ``OUT/records.jsonl``: ``benchmark.md``, ``benchmark.csv``, ``benchmark.png``."""
    out = Path(out)
    tables = summary(records_frame(records if records is not None else out / RECORDS))
    paths = {}
    for name, text in (("benchmark.md", markdown(tables)), ("benchmark.csv", to_csv(tables))):
        paths[name] = str(write_text(out / name, text))
    paths["benchmark.png"] = str(figure(tables, out / "benchmark.png"))
    return paths
