"""Records -> leaderboard tables (markdown, CSV, LaTeX, HTML) and bar figures.  Reads records only.

**Value of a cell.** Per case, the mean of the metric (``dice``, ``volume_similarity``,
``hd95``, ``assd`` or ``object_f1``; :mod:`synthzoo.metrics`) over
the labels that are not ``background`` (all labels where a test set has none; labels absent
from truth and prediction are skipped); the cell is the mean over the cases of one contrast
± the standard error ``std(ddof=1) / sqrt(n)`` (no error with one case).

**Layout.** One table per domain (and per extra target: models scored on a test set's second
target, e.g. brain-extraction models on the ``brain`` mask of ``neuro-contrasts``, get a table
of their own, titled ``domain: target``): rows are models, ordered domain-randomized zoo models,
narrow baselines (zoo cards with ``baseline: true``), classical baselines, then by name; a
``kind`` column says which.  Columns are the contrasts of the domain's test sets
(``testset/contrast`` when a domain has several test sets), then two summary columns:
``in-domain`` (the contrast(s) the domain's narrow baselines were trained on) and ``unseen``
(mean over the other contrasts, ± standard error over contrasts).  Without a narrow baseline
``in-domain`` is ``n/a`` and ``unseen`` is the mean over all contrasts, and the table says so.
**Versions.** Where the records hold several versions of a model (``model_version``: new
weights benchmarked into the same folder), only the latest (by record ``time``) is tabled and
the table's notes name the versions left out, so a table never averages two different models.
A note also says how the tabled networks ran (:func:`describe_inference` of their versions'
inference suffix: mirror averaging or one pass, and the precision).
The best value of each column (the highest; the lowest for the distances ``hd95`` and ``assd``,
in mm) is marked (markdown ``**bold**``, LaTeX ``\\textbf``, HTML
``class="best"``, CSV ``best=1``).
"""

from __future__ import annotations

import html as _html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from synthzoo._io import save_figure, write_text
from synthzoo.benchmarks.records import RECORDS, RecordError, describe_inference, frame
from synthzoo.metrics import LOWER_IS_BETTER

METRICS = {"dice": "Dice", "volume_similarity": "volume similarity", "hd95": "HD95 (mm)",
           "assd": "ASSD (mm)", "object_f1": "object F1 (IoU 0.5)"}
FORMATS = ("md", "csv", "latex", "html")
KINDS = {"zoo": "randomized", "narrow": "narrow baseline", "classical": "classical baseline"}
IN_DOMAIN, UNSEEN = "in-domain", "unseen"
BASELINE_NOTE = ("Classical baselines map intensity clusters to labels with one labelled calibration "
                 "case of the same contrast (another seed); the randomized zoo models see no image of "
                 "the test contrasts.")


@dataclass(frozen=True)
class Cell:
    """One table value: ``mean`` ± ``sem`` (``None``: fewer than 2 samples) over ``n`` samples."""

    mean: float
    sem: float | None
    n: int
    best: bool = False


@dataclass(frozen=True)
class Column:
    """A contrast of a test set (``kind="contrast"``) or a summary column (``"in-domain"``,
    ``"unseen"``); ``header`` is what the table shows."""

    key: str
    header: str
    kind: str = "contrast"
    testset: str | None = None
    contrast: str | None = None


@dataclass(frozen=True)
class DomainTable:
    """The table of one domain: ``rows`` are ``(model, kind)``, ``cells[(model, column key)]``."""

    domain: str
    metric: str
    testsets: tuple[str, ...]
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, str], ...]
    cells: Mapping[tuple[str, str], Cell]
    in_domain: tuple[str, ...] = ()  # keys of the contrast columns the narrow baselines trained on
    notes: tuple[str, ...] = field(default=())
    target: str = ""  # "" for the test sets' own labels, else the extra target's foreground labels

    @property
    def title(self) -> str:
        """``domain``, or ``domain: target`` for an extra target's table."""
        return f"{self.domain}: {self.target}" if self.target else self.domain

    def cell(self, model: str, col: Column) -> Cell | None:
        return self.cells.get((model, col.key))


def _cell(values: Iterable[float]) -> Cell | None:
    v = np.asarray([x for x in values if not math.isnan(x)], float)
    if v.size == 0:
        return None
    sem = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else None
    return Cell(float(v.mean()), sem, int(v.size))


def per_case(df: pd.DataFrame, metric: str = "dice") -> pd.DataFrame:
    """One row per (model, test set, case): the mean ``metric`` over its foreground labels
    (every label where the test set has no ``background``)."""
    if metric not in METRICS:
        raise RecordError(f"unknown metric {metric!r}; valid: {', '.join(METRICS)}")
    if df.empty:
        raise RecordError("no records")
    df, superseded = latest_versions(df)
    df, old_builds = latest_builds(df)
    has_bg = df.groupby("testset")["foreground"].transform(lambda s: not s.astype(bool).all())
    use = df[~has_bg | df["foreground"].astype(bool)]
    use = use.assign(target=_targets(df).reindex(pd.MultiIndex.from_frame(use[["testset", "model"]])).to_numpy())
    keys = ["testset_domain", "target", "testset", "model", "model_kind", "contrast", "case"]
    out = use.groupby(keys, sort=False)[metric].mean().reset_index().rename(columns={metric: "value"})
    trained = (df[df["model_kind"] == "narrow"].groupby(["testset_domain", "testset"])["trained_contrast"]
               .agg(lambda s: tuple(sorted({c for c in s if isinstance(c, str)}))))
    out.attrs["trained"] = trained.to_dict()
    out.attrs["superseded"] = superseded
    out.attrs["old_builds"] = old_builds
    nets = df[df["model_kind"] != "classical"].drop_duplicates("model")
    out.attrs["inference"] = {m: str(v).partition("+")[2] for m, v in zip(nets["model"], nets["model_version"])
                              if "+" in str(v)}
    return out


def _latest(df: pd.DataFrame, group: list[str], version: str) -> tuple[pd.DataFrame, dict[Any, tuple[str, ...]]]:
    """The rows of the newest ``version`` of each ``group`` (the version whose newest record is
    the newest) and, per group with older versions, those versions (newest first)."""
    newest = df.groupby([*group, version], sort=False)["time"].max().reset_index()
    newest = newest.sort_values([*group, "time"], ascending=[True] * len(group) + [False], kind="stable")
    keep, superseded = {}, {}
    for key, grp in newest.groupby(group if len(group) > 1 else group[0], sort=False):
        versions = [str(v) for v in grp[version]]
        keep[key] = versions[0]
        if len(versions) > 1:
            superseded[key] = tuple(versions[1:])
    keys = zip(*(df[g] for g in group)) if len(group) > 1 else df[group[0]]
    mask = [keep[k] == str(v) for k, v in zip(keys, df[version])]
    return (df if all(mask) else df[mask]), superseded


def latest_versions(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """The rows of the latest version of each model (the version whose newest record is the
    newest) and, per model with older versions, those versions (newest first)."""
    return _latest(df, ["model"], "model_version")


def latest_builds(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """The rows of the latest build of each test set (per size and seed: the
    ``testset_sha256`` whose newest record is the newest; a builder that changed its cases
    makes a new build) and, per test set with older builds, those builds' sha256.

    A resumed run does not run a case again that the new build left as it was (its run key,
    which holds the case's sha256, is done), so such a case's records carry an older build's
    sha256: an older build's rows are kept for every (model, case) that has no row in the latest
    build, unless the latest build holds that case with another ``case_sha256`` (changed)."""
    group = ["testset", "testset_size", "testset_seed"]
    df = df.reset_index(drop=True)  # row labels unique, so the latest build's rows can be told apart
    latest, old = _latest(df, group, "testset_sha256")
    out: dict[str, tuple[str, ...]] = {}
    for (name, _, _), shas in old.items():
        out[name] = out.get(name, ()) + shas
    if len(latest) == len(df):
        return df, out
    rest = df.drop(index=latest.index)
    who, case = [*group, "model", "model_version", "case"], [*group, "case"]
    have = set(latest[who].itertuples(index=False, name=None))
    now = latest.groupby(case)["case_sha256"].first().to_dict()  # each case as it is now
    ok = [w not in have and now.get(c, sha) == sha
          for w, c, sha in zip(rest[who].itertuples(index=False, name=None),
                               rest[case].itertuples(index=False, name=None), rest["case_sha256"])]
    carried = rest[ok]
    # of several older builds, a (model, case) keeps only its newest one's rows
    newest = carried.groupby(who)["time"].transform("max")
    carried = carried[carried["time"] == newest]
    return pd.concat([latest, carried]).sort_index(), out


def _targets(df: pd.DataFrame) -> pd.Series:
    """Per (test set, model): ``""`` when the model is scored on the test set's own labels, else
    its foreground label names (an extra target such as ``brain``).  The own labels are those of
    the classical baselines' rows (they always score the own labels), else the largest label set."""
    sets = df.groupby(["testset", "model"], sort=False)["label"].agg(lambda s: tuple(dict.fromkeys(s)))
    kinds = df.groupby(["testset", "model"], sort=False)["model_kind"].first()
    out = {}
    for ts in dict.fromkeys(sets.index.get_level_values(0)):
        mine = sets.loc[ts]
        classical = [mine[m] for m in mine.index if kinds[(ts, m)] == "classical"]
        own = set(classical[0] if classical else max(mine, key=len))
        for m, labels in mine.items():
            out[(ts, m)] = "" if set(labels) <= own else ", ".join(n for n in labels if n != "background")
    return pd.Series(out, dtype=object)


def board(df: pd.DataFrame, metric: str = "dice") -> list[DomainTable]:
    """One :class:`DomainTable` per domain: domains with a randomized zoo model first, then the
    others; domains, test sets and contrasts otherwise in order of first appearance."""
    cases = per_case(df, metric)
    trained = cases.attrs["trained"]
    tables = []
    with_zoo = set(cases.loc[cases["model_kind"] == "zoo", "testset_domain"])
    groups = sorted(dict.fromkeys(zip(cases["testset_domain"], cases["target"])),
                    key=lambda dt: (dt[0] not in with_zoo, dt[1] != ""))
    for domain, target in groups:
        part = cases[(cases["testset_domain"] == domain) & (cases["target"] == target)]
        testsets = tuple(dict.fromkeys(part["testset"]))
        cols = []
        for ts in testsets:
            for c in dict.fromkeys(part.loc[part["testset"] == ts, "contrast"]):
                cols.append(Column(f"{ts}/{c}", c if len(testsets) == 1 else f"{ts}/{c}", "contrast", ts, c))
        in_keys = tuple(f"{ts}/{c}" for ts in testsets for c in trained.get((domain, ts), ())
                        if f"{ts}/{c}" in {col.key for col in cols})
        models = part[["model", "model_kind"]].drop_duplicates()
        rows = tuple(sorted(((m, k) for m, k in zip(models["model"], models["model_kind"])),
                            key=lambda mk: (list(KINDS).index(mk[1]) if mk[1] in KINDS else 9, mk[0])))
        cells: dict[tuple[str, str], Cell] = {}
        for (model, key), grp in part.assign(key=part["testset"] + "/" + part["contrast"]).groupby(
                ["model", "key"], sort=False):
            c = _cell(grp["value"])
            if c is not None:
                cells[(model, key)] = c
        n_contrasts = len(cols)
        notes = []
        if in_keys:
            names = ", ".join(k.split("/", 1)[1] if len(testsets) == 1 else k for k in in_keys)
            summary = (Column(IN_DOMAIN, f"{IN_DOMAIN} ({names})", IN_DOMAIN),
                       Column(UNSEEN, f"{UNSEEN} (other {n_contrasts - len(in_keys)})", UNSEEN))
        else:
            summary = (Column(IN_DOMAIN, f"{IN_DOMAIN} (n/a)", IN_DOMAIN),
                       Column(UNSEEN, f"{UNSEEN} (all {n_contrasts})", UNSEEN))
            notes.append(f"No narrow baseline for {domain} yet: {IN_DOMAIN} is n/a and {UNSEEN} is the "
                         f"mean over all {n_contrasts} contrasts.")
        for model, _ in rows:
            ins = [cells[(model, k)].mean for k in in_keys if (model, k) in cells]
            outs = [cells[(model, c.key)].mean for c in cols if c.key not in in_keys and (model, c.key) in cells]
            if in_keys and len(ins) == len(in_keys):
                cells[(model, IN_DOMAIN)] = _cell(ins) if len(ins) > 1 else cells[(model, in_keys[0])]
            if outs and len(outs) == n_contrasts - len(in_keys):  # a model missing a contrast gets none
                cells[(model, UNSEEN)] = _cell(outs)
        columns = tuple(cols) + summary
        for col in columns:
            vals = [cells[(m, col.key)].mean for m, _ in rows if (m, col.key) in cells]
            if vals:
                top = round(min(vals) if metric in LOWER_IS_BETTER else max(vals), 3)
                for m, _ in rows:
                    c = cells.get((m, col.key))
                    if c is not None and round(c.mean, 3) == top:
                        cells[(m, col.key)] = Cell(c.mean, c.sem, c.n, True)
        if any(k == "classical" for _, k in rows):
            notes.append(BASELINE_NOTE)
        procedures: dict[str, list[str]] = {}
        for model, kind in rows:
            if kind != "classical" and model in cases.attrs.get("inference", {}):
                procedures.setdefault(cases.attrs["inference"][model], []).append(model)
        if procedures:
            how = [f"{describe_inference(p)} (+{p})" for p in procedures]
            notes.append("Networks: " + (how[0] if len(how) == 1 else "; ".join(
                f"{h} for {', '.join(procedures[p])}" for h, p in zip(how, procedures))) + ".")
        for name in testsets:
            if name in cases.attrs.get("old_builds", {}):
                old = ", ".join(v[:12] for v in cases.attrs["old_builds"][name])
                notes.append(f"{name}: tabled as its latest build has it; left out: the records of "
                             f"builds {old} for cases since changed.")
        for model, _ in rows:
            if model in cases.attrs.get("superseded", {}):
                old = ", ".join(v[:12] for v in cases.attrs["superseded"][model])
                notes.append(f"{model}: only its latest version in the records is tabled; left out: {old}.")
        tables.append(DomainTable(domain, metric, testsets, columns, rows, cells, in_keys, tuple(notes), target))
    return tables


def caption(t: DomainTable) -> str:
    """What the numbers of ``t`` are (one sentence)."""
    sets = ", ".join(t.testsets)
    return (f"{t.title} (test set{'s' if len(t.testsets) > 1 else ''} {sets}): mean foreground "
            f"{METRICS[t.metric]} ± standard error over cases ({UNSEEN}: over contrasts); best per column marked.")


def fmt(c: Cell | None, pm: str = "±") -> str:
    """``0.812 ± 0.010`` (3 decimals; no error with one sample; ``-`` when missing)."""
    if c is None:
        return "-"
    return f"{c.mean:.3f}" if c.sem is None else f"{c.mean:.3f} {pm} {c.sem:.3f}"


def _na(t: DomainTable, col: Column) -> str:
    return "n/a" if col.kind == IN_DOMAIN and not t.in_domain else "-"


def markdown(tables: list[DomainTable]) -> str:
    """One markdown section per domain; best per column in ``**bold**``."""
    parts = []
    for t in tables:
        lines = [f"### {t.title}", "", caption(t), "",
                 "| " + " | ".join(["model", "kind", *(c.header for c in t.columns)]) + " |",
                 "| " + " | ".join(["---", "---"] + ["---:"] * len(t.columns)) + " |"]
        for model, kind in t.rows:
            vals = []
            for col in t.columns:
                c = t.cell(model, col)
                vals.append(_na(t, col) if c is None else f"**{fmt(c)}**" if c.best else fmt(c))
            lines.append("| " + " | ".join([model, KINDS.get(kind, kind), *vals]) + " |")
        for note in t.notes:
            lines += ["", note]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def to_csv(tables: list[DomainTable]) -> str:
    """Long CSV: ``domain,testset,contrast,model,kind,metric,mean,sem,n,best`` (4 decimals;
    summary rows have an empty ``testset`` and contrast ``in-domain`` or ``unseen``)."""
    rows = []
    for t in tables:
        for model, kind in t.rows:
            for col in t.columns:
                c = t.cell(model, col)
                if c is None:
                    continue
                rows.append({"domain": t.title, "testset": col.testset or "",
                             "contrast": col.contrast if col.kind == "contrast" else col.kind,
                             "model": model, "kind": kind, "metric": t.metric, "mean": round(c.mean, 4),
                             "sem": None if c.sem is None else round(c.sem, 4), "n": c.n, "best": int(c.best)})
    return pd.DataFrame(rows).to_csv(index=False, lineterminator="\n")


def _tex(s: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"),
                 ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"), ("^", r"\^{}")):
        s = s.replace(a, b)
    return s


def latex(tables: list[DomainTable]) -> str:
    """One ``table`` (booktabs) per domain; best per column in ``\\textbf``."""
    parts = []
    for t in tables:
        lines = [r"\begin{table}[t]", r"\centering",
                 r"\caption{" + _tex(caption(t)).replace("±", r"$\pm$") + "}",
                 r"\begin{tabular}{ll" + "r" * len(t.columns) + "}", r"\toprule",
                 " & ".join(["model", "kind", *(_tex(c.header) for c in t.columns)]) + r" \\", r"\midrule"]
        for model, kind in t.rows:
            vals = []
            for col in t.columns:
                c = t.cell(model, col)
                v = _na(t, col) if c is None else fmt(c, r"$\pm$")
                vals.append(r"\textbf{" + v + "}" if c is not None and c.best else v)
            lines.append(" & ".join([_tex(model), _tex(KINDS.get(kind, kind)), *vals]) + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}"]
        lines += [r"\par\smallskip{\footnotesize " + _tex(n) + "}" for n in t.notes]
        lines.append(r"\end{table}")
        parts.append("\n".join(lines))
    return "% needs \\usepackage{booktabs}\n" + "\n\n".join(parts) + "\n"


def html(tables: list[DomainTable], *, model_href: Callable[[str], str] | None = None,
         cell_title: Callable[[DomainTable, str, Column], str] | None = None,
         cell_href: Callable[[DomainTable, str, Column], str] | None = None) -> str:
    """One ``<section>`` per domain with a ``<table class="board">``; every header cell has
    ``data-sort`` (``text`` or ``num``), every value cell ``data-value`` (its mean, empty when
    missing); the best per column has ``class="best"``.  The optional callbacks add links and
    tooltips (the static site uses them for model pages and provenance)."""
    e = _html.escape
    parts = []
    for t in tables:
        lines = [f'<section class="domain" id="domain-{e(t.title.replace(": ", "-"))}">', f"<h2>{e(t.title)}</h2>",
                 f'<table class="board" data-domain="{e(t.title)}">', f"<caption>{e(caption(t))}</caption>",
                 "<thead><tr>" + '<th data-sort="text">model</th><th data-sort="text">kind</th>'
                 + "".join(f'<th data-sort="num" class="{e(c.kind)}">{e(c.header)}</th>' for c in t.columns)
                 + "</tr></thead>", "<tbody>"]
        for model, kind in t.rows:
            name = e(model) if model_href is None else f'<a href="{e(model_href(model))}">{e(model)}</a>'
            tds = [f'<td data-value="{e(model)}">{name}</td>',
                   f'<td data-value="{e(KINDS.get(kind, kind))}">{e(KINDS.get(kind, kind))}</td>']
            for col in t.columns:
                c = t.cell(model, col)
                if c is None:
                    tds.append(f'<td data-value="">{_na(t, col)}</td>')
                    continue
                text = e(fmt(c))
                if cell_href is not None:
                    text = f'<a href="{e(cell_href(t, model, col))}">{text}</a>'
                title = "" if cell_title is None else f' title="{e(cell_title(t, model, col))}"'
                cls = ' class="best"' if c.best else ""
                tds.append(f'<td data-value="{c.mean:.6f}"{cls}{title}>{text}</td>')
            lines.append(f'<tr data-kind="{e(kind)}">' + "".join(tds) + "</tr>")
        lines += ["</tbody>", "</table>"] + [f'<p class="note">{e(n)}</p>' for n in t.notes] + ["</section>"]
        parts.append("\n".join(lines))
    return "\n".join(parts) + "\n"


def render(tables: list[DomainTable], fmt_: str) -> str:
    """``tables`` in format ``md``, ``csv``, ``latex`` or ``html``."""
    writers = {"md": markdown, "csv": to_csv, "latex": latex, "html": html}
    if fmt_ not in writers:
        raise RecordError(f"unknown table format {fmt_!r}; valid: {', '.join(FORMATS)}")
    return writers[fmt_](tables)


def _draw(ax: Any, t: DomainTable) -> None:
    cols = [c for c in t.columns if not (c.kind == IN_DOMAIN and not t.in_domain)]
    width = 0.8 / max(1, len(t.rows))
    x = np.arange(len(cols))
    for i, (model, kind) in enumerate(t.rows):
        cells = [t.cell(model, c) for c in cols]
        means = [np.nan if c is None else c.mean for c in cells]
        errs = [0.0 if c is None or c.sem is None else c.sem for c in cells]
        ax.bar(x - 0.4 + width * (i + 0.5), means, width, yerr=errs, capsize=2,
               hatch={"narrow": "//", "classical": ".."}.get(kind),
               label=f"{model} ({KINDS.get(kind, kind)})", error_kw={"elinewidth": 0.8})
    ax.set_xticks(x, [c.header for c in cols], rotation=30, ha="right", fontsize=8)
    if t.metric in LOWER_IS_BETTER:
        ax.set_ylim(bottom=0)
    else:
        ax.set_ylim(0, 1)
    ax.set_ylabel(f"mean foreground {METRICS[t.metric]}", fontsize=8)
    ax.set_title(f"{t.title}: mean ± standard error over cases", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)


def figures(tables: list[DomainTable], out: str | Path) -> Path:
    """Bar plots, one panel per domain: a group of bars per contrast column (one bar per
    model, standard-error bars) plus the summary columns; y is the metric (0..1, or mm from 0).  PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_cols = max(len(t.columns) for t in tables)
    fig, axes = plt.subplots(len(tables), 1, figsize=(max(6.0, 0.8 * n_cols + 4.5), 3.4 * len(tables)),
                             squeeze=False, layout="constrained")
    for ax, t in zip(axes[:, 0], tables):
        _draw(ax, t)
    return save_figure(fig, out, dpi=100)


def figure(t: DomainTable, out: str | Path) -> Path:
    """The bar plot of one domain (:func:`figures` of ``[t]``)."""
    return figures([t], out)


def load(records: str | Path | list[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Records as a DataFrame: a path (read and validated), rows, or a frame as is."""
    if isinstance(records, pd.DataFrame):
        return records
    df = frame(records)
    if df.empty:
        raise RecordError(f"no benchmark records in {records if isinstance(records, (str, Path)) else 'input'}")
    return df


def table(records: str | Path | list[dict[str, Any]] | pd.DataFrame, *, fmt_: str = "md",
          metric: str = "dice") -> str:
    """The leaderboard table of ``records`` in one format (``synthzoo leaderboard table``)."""
    if fmt_ not in FORMATS:
        raise RecordError(f"unknown table format {fmt_!r}; valid: {', '.join(FORMATS)}")
    return render(board(load(records), metric), fmt_)


def write_tables(out: str | Path, records: str | Path | None = None) -> dict[str, str]:
    """Tables of ``OUT/records.jsonl``: ``benchmark.md``, ``benchmark.csv``, ``benchmark.png``
    (``synthzoo bench table``)."""
    out = Path(out)
    path = Path(records) if records is not None else out / RECORDS
    if not path.exists():
        raise RecordError(f"no benchmark records in {path} (run `synthzoo bench run --out {out}` first)")
    tables = board(load(path))
    paths = {}
    for name, text in (("benchmark.md", markdown(tables)), ("benchmark.csv", to_csv(tables))):
        paths[name] = str(write_text(out / name, text))
    paths["benchmark.png"] = str(figures(tables, out / "benchmark.png"))
    return paths
