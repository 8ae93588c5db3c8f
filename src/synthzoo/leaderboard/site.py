"""The static leaderboard site: records -> HTML pages, figures and data (no server, no network).

Layout of ``SITE`` (open ``SITE/index.html`` in a browser)::

    index.html              a sortable table per domain (inline JS) and its bar figure
    figures/<domain>.png    bar plot: mean ± standard error over cases per contrast and model
    models/<model>.html     the weight card (zoo models) or the method (classical baselines)
    testsets/<name>.html    the test-set card and the builds the records used
    provenance.html         for every number: package version, commit, weights sha256,
                            test-set and case checksums, device
    data/records.jsonl      the validated input records; data/leaderboard.csv the table;
    data/records.schema.json the record schema
    leaderboard.json        what built the site, from which files (their sha256); marks the
                            folder as a leaderboard site

The site is written into a temporary folder beside ``SITE`` and renamed at the end, so a
failure leaves nothing partial.  An existing ``SITE`` is replaced only if it is a previous
leaderboard site (has ``leaderboard.json``) or ``overwrite`` is set; a folder that is not a
leaderboard site is then moved aside (``SITE.replaced-<time>``), never deleted.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html as _html
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from synthzoo.benchmarks.records import RecordError, encode, frame, json_schema
from synthzoo.leaderboard import submissions, tables as tb

MARKER = "leaderboard.json"
GENERATOR = "synthzoo leaderboard build"

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em auto;max-width:110em;
padding:0 1em;color:#1b1b1b;line-height:1.4}
a{color:#0b57d0}td a{color:inherit;text-decoration:none}td a:hover{text-decoration:underline}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right;white-space:nowrap}
th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}
table.board thead th{background:#f0f3f8;cursor:pointer;user-select:none}
table.board thead th[aria-sort=ascending]::after{content:" \\25B2"}
table.board thead th[aria-sort=descending]::after{content:" \\25BC"}
th.in-domain,th.unseen{background:#e6eefc}
td.best{font-weight:bold;background:#eaf6ea}
caption{text-align:left;font-size:.95em;color:#444;padding-bottom:.3em}
tr[data-kind=narrow] td:first-child::before{content:"\\25C6 ";color:#a36}
tr[data-kind=classical] td:first-child::before{content:"\\25CB ";color:#666}
p.note{font-size:.85em;color:#444}img{max-width:min(100%,60em)}
dl.card dt{font-weight:bold;margin-top:.4em}pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:.8em}
code{font-size:.9em}.mono{font-family:ui-monospace,monospace;font-size:.8em}
"""

SORT_JS = """
(function () {
  function sortBy(table, th, col) {
    var num = th.getAttribute('data-sort') === 'num';
    var cur = th.getAttribute('aria-sort');
    var dir = cur ? (cur === 'ascending' ? 'descending' : 'ascending') : (num ? 'descending' : 'ascending');
    table.querySelectorAll('thead th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var sign = dir === 'ascending' ? 1 : -1;
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-value'), y = b.cells[col].getAttribute('data-value');
      if (x === '' || y === '') { return (x === '') - (y === ''); }
      return sign * (num ? parseFloat(x) - parseFloat(y) : x.localeCompare(y));
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll('table.board').forEach(function (table) {
    table.querySelectorAll('thead th').forEach(function (th, col) {
      th.tabIndex = 0;
      th.title = 'sort by this column';
      th.addEventListener('click', function () { sortBy(table, th, col); });
      th.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') { sortBy(table, th, col); } });
    });
  });
})();
"""

e = _html.escape


class SiteError(RecordError):
    """The site cannot be built where asked (the message says why and what to do)."""


def slug(text: str) -> str:
    """A file-name-safe form of ``text`` (letters, digits, ``-``, ``_``, ``.``)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def _page(title: str, body: str, *, depth: int = 0, script: str = "") -> str:
    up = "../" * depth
    js = f"<script>{script}</script>\n" if script else ""
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<link rel="icon" href="data:,">\n<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n'
            f'<nav><a href="{up}index.html">leaderboard</a> · <a href="{up}provenance.html">provenance</a></nav>\n'
            f"<h1>{e(title)}</h1>\n{body}\n{js}</body>\n</html>\n")


def is_site(path: str | Path) -> bool:
    """``path`` is a folder written by :func:`build` (has a ``leaderboard.json`` marker)."""
    try:
        return json.loads((Path(path) / MARKER).read_text()).get("generator") == GENERATOR
    except (OSError, ValueError, AttributeError):
        return False


def sources(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """``[{"path", "sha256"}]`` of the input files (what the marker records)."""
    return [{"path": str(p), "sha256": hashlib.sha256(Path(p).read_bytes()).hexdigest()} for p in paths]


def up_to_date(site: str | Path, paths: Iterable[str | Path]) -> bool:
    """``site`` is a leaderboard site built from exactly these files with the same content."""
    if not is_site(site):
        return False
    marker = json.loads((Path(site) / MARKER).read_text())
    return marker.get("sources") == sources(paths)


# -- provenance -------------------------------------------------------------------------

def _short(v: Any, n: int = 12) -> str:
    return "-" if v is None else str(v)[:n]


def provenance(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (domain, model, test set, contrast): the distinct provenance values of its
    records (``;``-joined), the number of cases and an anchor ``id``."""
    def join(s: pd.Series) -> str:
        return "; ".join(str(v) for v in dict.fromkeys(s) if v is not None) or "-"

    d = df.assign(commit=[("-" if c is None else str(c)) + (" (dirty)" if dirty else "")
                          for c, dirty in zip(df["git_commit"], df["git_dirty"])])
    g = d.groupby(["testset_domain", "model", "testset", "contrast"], sort=False)
    out = g.agg(model_kind=("model_kind", "first"), synthzoo_version=("synthzoo_version", join),
                git_commit=("commit", join), model_version=("model_version", join),
                weights_sha256=("weights_sha256", join), testset_sha256=("testset_sha256", join),
                case_sha256=("case_sha256", join), device=("device", join), seed=("seed", join),
                cases=("case", lambda s: len(set(s)))).reset_index()
    out["id"] = ["p-" + slug(f"{m}--{t}--{c}") for m, t, c in zip(out["model"], out["testset"], out["contrast"])]
    return out


def _prov_title(p: pd.Series) -> str:
    return (f"synthzoo {p['synthzoo_version']}, commit {_short(p['git_commit'], 20)}, "
            f"weights {_short(p['weights_sha256'])}, test set {_short(p['testset_sha256'])}, "
            f"device {p['device']}, {p['cases']} case(s)")


def _provenance_page(prov: pd.DataFrame) -> str:
    cols = ["model", "model_kind", "testset", "contrast", "cases", "synthzoo_version", "git_commit",
            "model_version", "weights_sha256", "testset_sha256", "case_sha256", "device", "seed"]
    parts = ["<p>Where every number of the leaderboard comes from: one row per model, test set and "
             "contrast (a table cell), with the distinct values of its records. Summary columns "
             "(in-domain, unseen) are means of the cells of their domain.</p>"]
    for domain, part in prov.groupby("testset_domain", sort=False):
        parts.append(f'<h2 id="d-{e(slug(domain))}">{e(domain)}</h2>\n<table class="prov">\n<thead><tr>'
                     + "".join(f"<th>{e(c)}</th>" for c in cols) + "</tr></thead>\n<tbody>")
        for _, p in part.iterrows():
            tds = "".join(f'<td class="{"mono" if "sha" in c or c == "git_commit" else ""}">{e(str(p[c]))}</td>'
                          for c in cols)
            parts.append(f'<tr id="{e(p["id"])}">{tds}</tr>')
        parts.append("</tbody></table>")
    return _page("Provenance", "\n".join(parts), depth=0)


# -- pages --------------------------------------------------------------------------------

def _card_dl(items: list[tuple[str, Any]]) -> str:
    out = ['<dl class="card">']
    for k, v in items:
        if isinstance(v, (dict, list, tuple)) and v:
            body = f"<pre>{e(json.dumps(v, indent=1))}</pre>"
        else:
            body = e("-" if v in (None, "", (), [], {}) else str(v))
        out.append(f"<dt>{e(k)}</dt><dd>{body}</dd>")
    out.append("</dl>")
    return "\n".join(out)


def _model_results(df: pd.DataFrame, model: str, metric: str) -> str:
    part = df[df["model"] == model]
    tables = tb.board(df[df["testset_domain"].isin(set(part["testset_domain"]))], metric)
    rows = []
    for t in tables:
        for col in t.columns:
            c = t.cell(model, col)
            if c is not None:
                rows.append(f"<tr><td>{e(t.title)}</td><td>{e(col.header)}</td><td>{e(tb.fmt(c))}</td>"
                            f"<td>{c.n}</td></tr>")
    return ("<h2>Results</h2>\n<table><thead><tr><th>domain</th><th>column</th>"
            f"<th>{e(tb.METRICS[metric])}</th><th>n</th></tr></thead>\n<tbody>" + "\n".join(rows)
            + "</tbody></table>")


def _model_page(df: pd.DataFrame, model: str, kind: str, metric: str) -> str:
    part = df[df["model"] == model]
    body = [f"<p>Kind: <strong>{e(tb.KINDS.get(kind, kind))}</strong>. Versions in the records: "
            f"<span class=mono>{e(', '.join(dict.fromkeys(map(str, part['model_version']))))}</span>.</p>"]
    if kind == "classical":
        from synthzoo.benchmarks import baselines

        body.append("<h2>Method</h2>\n<pre>" + e((baselines.__doc__ or "").strip()) + "</pre>")
        cal = [c for c in dict.fromkeys(part["calibration"]) if c]
        if cal:
            body.append("<h2>Calibration</h2>\n<ul>" + "".join(f"<li>{e(c)}</li>" for c in cal) + "</ul>")
    else:
        card = None
        try:
            from synthzoo.zoo.models import get_card

            card = get_card(model)
        except Exception as exc:  # not a bundled model: the records are all there is
            body.append(f"<p>No bundled weight card for {e(model)} ({e(str(exc).splitlines()[0])}).</p>")
        if card is not None:
            shas = set(part["weights_sha256"])
            if shas != {card.sha256}:
                body.append(f"<p><strong>Note:</strong> the records were made with weights "
                            f"{e(', '.join(map(str, shas)))}; the bundled card describes {e(card.sha256)}.</p>")
            body.append("<h2>Weight card</h2>\n" + _card_dl(list(card.to_dict().items())))
    body.append(_model_results(df, model, metric))
    return _page(f"Model {model}", "\n".join(body), depth=1)


def _testset_page(df: pd.DataFrame, name: str) -> str:
    from synthzoo.datasets import get_builder

    b = get_builder(name)
    part = df[df["testset"] == name]
    builds = part.groupby(["testset_size", "testset_seed", "testset_sha256"], sort=False)["case"].agg(
        lambda s: ", ".join(dict.fromkeys(s))).reset_index()
    card = [("name", b.name), ("domain", b.domain), ("dims", b.dims), ("description", b.description),
            ("method", b.method), ("label names", ", ".join(b.label_names)), ("contrasts", ", ".join(b.contrasts)),
            ("license", b.license), ("anatomy source", b.anatomy_source), ("references", list(b.references)),
            ("simulator parameters per contrast", {k: dict(v) for k, v in b.contrast_table.items()})]
    rows = "".join(f"<tr><td>{r.testset_size}</td><td>{r.testset_seed}</td><td class=mono>{e(r.testset_sha256)}</td>"
                   f"<td>{e(r.case)}</td></tr>" for r in builds.itertuples())
    body = ("<h2>Card</h2>\n" + _card_dl(card) + "\n<h2>Builds used by the records</h2>\n<table><thead><tr>"
            "<th>size</th><th>seed</th><th>test-set sha256</th><th>cases</th></tr></thead><tbody>" + rows
            + "</tbody></table>")
    return _page(f"Test set {name}", body, depth=1)


def _index(df: pd.DataFrame, boards: list[tb.DomainTable], prov: pd.DataFrame, srcs: list[dict[str, Any]],
           metric: str) -> str:
    import synthzoo

    pid = {(r.model, r.testset, r.contrast): r for r in prov.itertuples()}

    def key(t: tb.DomainTable, model: str, col: tb.Column) -> Any:
        return pid.get((model, col.testset, col.contrast))

    def title(t: tb.DomainTable, model: str, col: tb.Column) -> str:
        p = key(t, model, col)
        if p is None:
            return f"mean of this model's {col.kind} contrast cells of {t.domain}; provenance per cell"
        return _prov_title(pd.Series(p._asdict()))

    def href(t: tb.DomainTable, model: str, col: tb.Column) -> str:
        p = key(t, model, col)
        return f"provenance.html#{p.id}" if p is not None else f"provenance.html#d-{slug(t.domain)}"

    models = df[["model", "model_kind"]].drop_duplicates()
    n_runs = df["run_key"].nunique()
    intro = (f"<p>Cross-domain generalization: models trained on synthetic images only (randomized), "
             f"narrow baselines trained on one contrast, and classical baselines, scored on test sets of "
             f"image types the randomized models never saw. {len(df)} records, {n_runs} runs, "
             f"{len(models)} models. Click a column header to sort; click a value for its provenance.</p>")
    parts = [intro]
    for t in boards:
        section = tb.html([t], model_href=lambda m: f"models/{slug(m)}.html", cell_title=title, cell_href=href)
        links = " · ".join(f'<a href="testsets/{e(slug(ts))}.html">test set {e(ts)}</a>' for ts in t.testsets)
        fig = (f'<p><img src="figures/{e(slug(t.title))}.png" alt="{e(t.title)}: bar plot of mean '
               f'{e(tb.METRICS[metric])} per contrast and model with standard-error bars"></p>')
        parts.append(section.replace("</section>", f"<p>{links}</p>\n{fig}\n</section>"))
    files = "".join(f"<li><span class=mono>{e(s['path'])}</span> sha256 <span class=mono>{e(s['sha256'])}</span></li>"
                    for s in srcs)
    parts.append(f"<h2>Data</h2>\n<p><a href=\"data/records.jsonl\">records.jsonl</a> · "
                 f"<a href=\"data/leaderboard.csv\">leaderboard.csv</a> · <a href=\"data/records.schema.json\">"
                 f"record schema</a> · <a href=\"provenance.html\">provenance of every number</a></p>\n"
                 f"<p>Built by synthzoo {e(synthzoo.__version__)} from:</p><ul>{files}</ul>")
    return _page("synthzoo leaderboard", "\n".join(parts), script=SORT_JS)


# -- build ----------------------------------------------------------------------------------

def _write(root: Path, rel: str, text: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def render_site(rows: list[dict[str, Any]], root: Path, *, srcs: list[dict[str, Any]], metric: str = "dice") -> list[str]:
    """Write every file of the site under ``root`` (an empty folder); returns their paths."""
    import synthzoo

    df = frame(rows)
    boards = tb.board(df, metric)
    prov = provenance(tb.latest_versions(df)[0])  # the versions the tables show
    _write(root, "index.html", _index(df, boards, prov, srcs, metric))
    _write(root, "provenance.html", _provenance_page(prov))
    for t in boards:
        tb.figure(t, root / "figures" / f"{slug(t.title)}.png")
    for model, kind in df[["model", "model_kind"]].drop_duplicates().itertuples(index=False):
        _write(root, f"models/{slug(model)}.html", _model_page(df, model, kind, metric))
    for name in dict.fromkeys(df["testset"]):
        _write(root, f"testsets/{slug(name)}.html", _testset_page(df, name))
    _write(root, "data/records.jsonl", b"".join(encode(r) for r in rows))
    _write(root, "data/leaderboard.csv", tb.to_csv(boards))
    _write(root, "data/records.schema.json", json.dumps(json_schema(), indent=1) + "\n")
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    _write(root, MARKER, json.dumps({"generator": GENERATOR, "synthzoo_version": synthzoo.__version__,
                                     "metric": metric, "sources": srcs, "records": len(rows),
                                     "models": sorted(set(df["model"])), "files": files + [MARKER]},
                                    indent=1) + "\n")
    return files + [MARKER]


def build(results: Iterable[str | Path], out: str | Path, *, overwrite: bool = False,
          metric: str = "dice") -> Path:
    """Validate ``results`` (records files) and build the site into ``out``; returns ``out``.

    Raises :class:`~synthzoo.leaderboard.submissions.SubmissionError` for a bad submission and
    :class:`SiteError` when ``out`` exists and is not a previous leaderboard site (unless
    ``overwrite``); nothing is written then."""
    results = [Path(p) for p in results]
    out = Path(out)
    if metric not in tb.METRICS:
        raise SiteError(f"unknown metric {metric!r}; valid: {', '.join(tb.METRICS)}")
    if out.exists() and not out.is_dir():
        raise SiteError(f"{out} exists and is not a folder; choose another --out")
    foreign = out.exists() and not is_site(out) and any(out.iterdir())
    if foreign and not overwrite:
        raise SiteError(f"{out} exists and is not a leaderboard site (no {MARKER}); choose another --out, "
                        f"or pass --overwrite to move it aside to {out.name}.replaced-<time>")
    rows = submissions.load(results)
    srcs = sources(results)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)  # our own leftover (same pid): created by this function
    tmp.mkdir()
    try:
        render_site(rows, tmp, srcs=srcs, metric=metric)
        if out.exists():
            if foreign:
                stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S")
                out.rename(out.parent / f"{out.name}.replaced-{stamp}")
                old = None
            else:  # a previous leaderboard site, or an empty folder
                old = out.parent / f".{out.name}.old-{os.getpid()}"
                out.rename(old)
            tmp.rename(out)
            if old is not None:
                shutil.rmtree(old)
        else:
            tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out

