import json

import pytest
from typer.testing import CliRunner

from synthzoo.benchmarks.records import RecordError
from synthzoo.leaderboard.tables import board, fmt, latest_builds, table, write_tables

EXPECTED_MD = r"""
### neuro-mri

neuro-mri (test set neuro-contrasts): mean foreground Dice ± standard error over cases (unseen: over contrasts); best per column marked.

| model | kind | t1w-gre-1.5t | ct | in-domain (t1w-gre-1.5t) | unseen (other 1) |
| --- | --- | ---: | ---: | ---: | ---: |
| unet | randomized | 0.700 ± 0.100 | 0.400 ± 0.100 | 0.700 ± 0.100 | 0.400 |
| narrow-t1 | narrow baseline | **0.900 ± 0.000** | 0.150 ± 0.050 | **0.900 ± 0.000** | 0.150 |
| multi-otsu | classical baseline | 0.750 | **0.450** | 0.750 | **0.450** |

Classical baselines map intensity clusters to labels with one labelled calibration case of the same contrast (another seed); the randomized zoo models see no image of the test contrasts.

### fluorescence

fluorescence (test set fluorescence-nuclei): mean foreground Dice ± standard error over cases (unseen: over contrasts); best per column marked.

| model | kind | widefield | confocal | in-domain (n/a) | unseen (all 2) |
| --- | --- | ---: | ---: | ---: | ---: |
| multi-otsu | classical baseline | **0.600** | **0.800** | n/a | **0.700 ± 0.100** |

No narrow baseline for fluorescence yet: in-domain is n/a and unseen is the mean over all 2 contrasts.

Classical baselines map intensity clusters to labels with one labelled calibration case of the same contrast (another seed); the randomized zoo models see no image of the test contrasts.
"""[1:]

EXPECTED_CSV = r"""
domain,testset,contrast,model,kind,metric,mean,sem,n,best
neuro-mri,neuro-contrasts,t1w-gre-1.5t,unet,zoo,dice,0.7,0.1,2,0
neuro-mri,neuro-contrasts,ct,unet,zoo,dice,0.4,0.1,2,0
neuro-mri,,in-domain,unet,zoo,dice,0.7,0.1,2,0
neuro-mri,,unseen,unet,zoo,dice,0.4,,1,0
neuro-mri,neuro-contrasts,t1w-gre-1.5t,narrow-t1,narrow,dice,0.9,0.0,2,1
neuro-mri,neuro-contrasts,ct,narrow-t1,narrow,dice,0.15,0.05,2,0
neuro-mri,,in-domain,narrow-t1,narrow,dice,0.9,0.0,2,1
neuro-mri,,unseen,narrow-t1,narrow,dice,0.15,,1,0
neuro-mri,neuro-contrasts,t1w-gre-1.5t,multi-otsu,classical,dice,0.75,,1,0
neuro-mri,neuro-contrasts,ct,multi-otsu,classical,dice,0.45,,1,1
neuro-mri,,in-domain,multi-otsu,classical,dice,0.75,,1,0
neuro-mri,,unseen,multi-otsu,classical,dice,0.45,,1,1
fluorescence,fluorescence-nuclei,widefield,multi-otsu,classical,dice,0.6,,1,1
fluorescence,fluorescence-nuclei,confocal,multi-otsu,classical,dice,0.8,,1,1
fluorescence,,unseen,multi-otsu,classical,dice,0.7,0.1,2,1
"""[1:]

EXPECTED_LATEX = r"""
% needs \usepackage{booktabs}
\begin{table}[t]
\centering
\caption{neuro-mri (test set neuro-contrasts): mean foreground Dice $\pm$ standard error over cases (unseen: over contrasts); best per column marked.}
\begin{tabular}{llrrrr}
\toprule
model & kind & t1w-gre-1.5t & ct & in-domain (t1w-gre-1.5t) & unseen (other 1) \\
\midrule
unet & randomized & 0.700 $\pm$ 0.100 & 0.400 $\pm$ 0.100 & 0.700 $\pm$ 0.100 & 0.400 \\
narrow-t1 & narrow baseline & \textbf{0.900 $\pm$ 0.000} & 0.150 $\pm$ 0.050 & \textbf{0.900 $\pm$ 0.000} & 0.150 \\
multi-otsu & classical baseline & 0.750 & \textbf{0.450} & 0.750 & \textbf{0.450} \\
\bottomrule
\end{tabular}
\par\smallskip{\footnotesize Classical baselines map intensity clusters to labels with one labelled calibration case of the same contrast (another seed); the randomized zoo models see no image of the test contrasts.}
\end{table}

\begin{table}[t]
\centering
\caption{fluorescence (test set fluorescence-nuclei): mean foreground Dice $\pm$ standard error over cases (unseen: over contrasts); best per column marked.}
\begin{tabular}{llrrrr}
\toprule
model & kind & widefield & confocal & in-domain (n/a) & unseen (all 2) \\
\midrule
multi-otsu & classical baseline & \textbf{0.600} & \textbf{0.800} & n/a & \textbf{0.700 $\pm$ 0.100} \\
\bottomrule
\end{tabular}
\par\smallskip{\footnotesize No narrow baseline for fluorescence yet: in-domain is n/a and unseen is the mean over all 2 contrasts.}
\par\smallskip{\footnotesize Classical baselines map intensity clusters to labels with one labelled calibration case of the same contrast (another seed); the randomized zoo models see no image of the test contrasts.}
\end{table}
"""[1:]

EXPECTED_HTML = r"""
<section class="domain" id="domain-neuro-mri">
<h2>neuro-mri</h2>
<table class="board" data-domain="neuro-mri">
<caption>neuro-mri (test set neuro-contrasts): mean foreground Dice ± standard error over cases (unseen: over contrasts); best per column marked.</caption>
<thead><tr><th data-sort="text">model</th><th data-sort="text">kind</th><th data-sort="num" class="contrast">t1w-gre-1.5t</th><th data-sort="num" class="contrast">ct</th><th data-sort="num" class="in-domain">in-domain (t1w-gre-1.5t)</th><th data-sort="num" class="unseen">unseen (other 1)</th></tr></thead>
<tbody>
<tr data-kind="zoo"><td data-value="unet">unet</td><td data-value="randomized">randomized</td><td data-value="0.700000">0.700 ± 0.100</td><td data-value="0.400000">0.400 ± 0.100</td><td data-value="0.700000">0.700 ± 0.100</td><td data-value="0.400000">0.400</td></tr>
<tr data-kind="narrow"><td data-value="narrow-t1">narrow-t1</td><td data-value="narrow baseline">narrow baseline</td><td data-value="0.900000" class="best">0.900 ± 0.000</td><td data-value="0.150000">0.150 ± 0.050</td><td data-value="0.900000" class="best">0.900 ± 0.000</td><td data-value="0.150000">0.150</td></tr>
<tr data-kind="classical"><td data-value="multi-otsu">multi-otsu</td><td data-value="classical baseline">classical baseline</td><td data-value="0.750000">0.750</td><td data-value="0.450000" class="best">0.450</td><td data-value="0.750000">0.750</td><td data-value="0.450000" class="best">0.450</td></tr>
</tbody>
</table>
<p class="note">Classical baselines map intensity clusters to labels with one labelled calibration case of the same contrast (another seed); the randomized zoo models see no image of the test contrasts.</p>
</section>
<section class="domain" id="domain-fluorescence">
<h2>fluorescence</h2>
<table class="board" data-domain="fluorescence">
<caption>fluorescence (test set fluorescence-nuclei): mean foreground Dice ± standard error over cases (unseen: over contrasts); best per column marked.</caption>
<thead><tr><th data-sort="text">model</th><th data-sort="text">kind</th><th data-sort="num" class="contrast">widefield</th><th data-sort="num" class="contrast">confocal</th><th data-sort="num" class="in-domain">in-domain (n/a)</th><th data-sort="num" class="unseen">unseen (all 2)</th></tr></thead>
<tbody>
<tr data-kind="classical"><td data-value="multi-otsu">multi-otsu</td><td data-value="classical baseline">classical baseline</td><td data-value="0.600000" class="best">0.600</td><td data-value="0.800000" class="best">0.800</td><td data-value="">n/a</td><td data-value="0.700000" class="best">0.700 ± 0.100</td></tr>
</tbody>
</table>
<p class="note">No narrow baseline for fluorescence yet: in-domain is n/a and unseen is the mean over all 2 contrasts.</p>
<p class="note">Classical baselines map intensity clusters to labels with one labelled calibration case of the same contrast (another seed); the randomized zoo models see no image of the test contrasts.</p>
</section>
"""[1:]



def test_tables_match_expected_text_in_every_format(rows):
    assert table(rows, fmt_="md") == EXPECTED_MD
    assert table(rows, fmt_="csv") == EXPECTED_CSV
    assert table(rows, fmt_="latex") == EXPECTED_LATEX
    assert table(rows, fmt_="html") == EXPECTED_HTML


def test_board_values_and_errors(rows):
    neuro, fluo = board(__import__("pandas").DataFrame(rows))
    assert neuro.rows == (("unet", "zoo"), ("narrow-t1", "narrow"), ("multi-otsu", "classical"))
    assert neuro.in_domain == ("neuro-contrasts/t1w-gre-1.5t",) and fluo.in_domain == ()
    c = neuro.cells[("unet", "neuro-contrasts/t1w-gre-1.5t")]
    assert c.mean == pytest.approx(0.7) and c.sem == pytest.approx(0.1) and c.n == 2 and not c.best
    assert fmt(None) == "-"
    with pytest.raises(RecordError, match="unknown table format 'pdf'; valid: md, csv, latex, html"):
        table(rows, fmt_="pdf")
    with pytest.raises(RecordError, match="unknown metric 'hd99'; valid: dice, volume_similarity, hd95, assd, object_f1"):
        table(rows, metric="hd99")
    # distances: lower is better (conftest: hd95 = 4 - 3 dice per label)
    hd = table(rows, fmt_="csv", metric="hd95").splitlines()
    assert "neuro-mri,neuro-contrasts,t1w-gre-1.5t,unet,zoo,hd95,1.9,0.3,2,0" in hd
    assert "neuro-mri,neuro-contrasts,t1w-gre-1.5t,narrow-t1,narrow,hd95,1.3,0.0,2,1" in hd
    vs = table(rows, fmt_="csv", metric="volume_similarity").splitlines()
    assert vs[1] == "neuro-mri,neuro-contrasts,t1w-gre-1.5t,unet,zoo,volume_similarity,0.9,0.0,2,1"


def test_write_tables_and_bench_table_alias(tmp_path, rows, records_file):
    records_file(rows)
    paths = write_tables(tmp_path)
    assert (tmp_path / "benchmark.md").read_text() == EXPECTED_MD
    assert (tmp_path / "benchmark.csv").read_text() == EXPECTED_CSV
    assert (tmp_path / "benchmark.png").read_bytes()[:4] == b"\x89PNG" and set(paths) == {
        "benchmark.md", "benchmark.csv", "benchmark.png"}
    with pytest.raises(RecordError, match="no benchmark records in .*empty"):
        write_tables(tmp_path / "empty")
    from synthzoo.cli import app

    r = CliRunner().invoke(app, ["bench", "table", "--out", str(tmp_path)])
    assert r.exit_code == 0 and r.output == EXPECTED_MD + "\n"


def test_leaderboard_table_cli_in_process(tmp_path, rows, records_file):
    from synthzoo.cli import app

    path = records_file(rows)
    cli = CliRunner()
    for fmt_, expected in (("md", EXPECTED_MD), ("csv", EXPECTED_CSV), ("latex", EXPECTED_LATEX),
                           ("html", EXPECTED_HTML)):
        r = cli.invoke(app, ["leaderboard", "table", str(path), "--format", fmt_])
        assert r.exit_code == 0, r.output
        assert r.output == expected
    r = cli.invoke(app, ["leaderboard", "table", str(path), "--format", "pdf"])
    assert r.exit_code == 2 and r.output == "error: unknown table format 'pdf'; valid: md, csv, latex, html\n"
    bad = records_file(rows[:3] + [dict(rows[3], dice=1.5)], "bad.jsonl")
    r = cli.invoke(app, ["leaderboard", "table", str(bad)])
    assert r.exit_code == 2 and r.output == f"error: {bad}:4: dice 1.5 is outside [0, 1]\n"


def test_only_the_latest_version_of_a_model_is_tabled(rows):
    """Records of new weights benchmarked into the same folder as the old ones: the table shows
    the newest version's values, never an average of both, and says what it left out."""
    old = "e" * 64
    one = [r for r in rows if r["model"] == "unet" and r["case"] == "t1-000"]

    def version_of(when, dice):
        return [{**r, "model_version": old, "weights_sha256": old, "time": when,
                 "dice": r["dice"] if r["label"] == "background" else dice} for r in one]

    stale, newer = version_of("2025-06-01T00:00:00+00:00", 0.1), version_of("2027-01-01T00:00:00+00:00", 0.2)
    neuro = board(__import__("pandas").DataFrame(stale + rows))[0]
    assert neuro.cells[("unet", "neuro-contrasts/t1w-gre-1.5t")].mean == pytest.approx(0.7)  # as without it
    assert f"unet: only its latest version in the records is tabled; left out: {old[:12]}." in neuro.notes
    assert not any("narrow-t1: only" in n for n in neuro.notes)
    # a version whose records are newer wins, whatever their order in the file
    neuro = board(__import__("pandas").DataFrame(rows + newer))[0]
    assert neuro.cells[("unet", "neuro-contrasts/t1w-gre-1.5t")].mean == pytest.approx(0.2)
    assert ("unet", "neuro-contrasts/ct") not in neuro.cells  # the new version has no CT case yet
    assert f"left out: {'c' * 12}." in neuro.notes[-1]
    assert table(rows, fmt_="md") == EXPECTED_MD  # one version each: no note


def test_only_the_latest_build_of_a_test_set_is_tabled(rows):
    """Records of a test set whose builder since changed its cases (another testset_sha256 for
    the same size and seed): only the newest build's records are tabled, with a note."""
    import pandas as pd

    old = "f" * 64
    stale = [{**r, "testset_sha256": old, "time": "2025-06-01T00:00:00+00:00",
              "run_key": r["run_key"] + "-old", "dice": r["dice"] if r["label"] == "background" else 0.05}
             for r in rows if r["testset"] == "neuro-contrasts"]
    neuro = board(pd.DataFrame(stale + rows))[0]
    assert neuro.cells[("unet", "neuro-contrasts/t1w-gre-1.5t")].mean == pytest.approx(0.7)  # as without it
    assert any(f"neuro-contrasts: tabled as its latest build has it; left out: the records of builds {old[:12]}"
               in n for n in neuro.notes)
    # a resumed run after a builder change that changed only the CT cases: it runs those again
    # (new case sha256, new build); the T1 cases it left as they were keep their earlier records,
    # and the CT cases' earlier records are left out
    new = "e" * 64
    ct = [{**r, "testset_sha256": new, "case_sha256": "9" * 64, "time": "2026-02-01T00:00:00+00:00",
           "run_key": r["run_key"] + "-new", "dice": r["dice"] if r["label"] == "background" else 0.95}
          for r in rows if r["testset"] == "neuro-contrasts" and r["contrast"] == "ct"]
    neuro = board(pd.DataFrame(rows + ct))[0]
    assert neuro.cells[("unet", "neuro-contrasts/t1w-gre-1.5t")].mean == pytest.approx(0.7)  # kept, n = 2
    assert neuro.cells[("unet", "neuro-contrasts/t1w-gre-1.5t")].n == 2
    assert neuro.cells[("unet", "neuro-contrasts/ct")].mean == pytest.approx(0.95)  # only the new cases
    assert neuro.cells[("multi-otsu", "neuro-contrasts/t1w-gre-1.5t")].mean == pytest.approx(0.75)
    kept, left = latest_builds(pd.DataFrame(rows + ct))
    neuro_rows = [r for r in rows if r["testset"] == "neuro-contrasts"]
    assert len(kept) == len(rows) + len(ct) - sum(r["contrast"] == "ct" for r in neuro_rows)
    assert left == {"neuro-contrasts": ("a" * 64,)}
    # another size is another build, kept apart (not superseded)
    other = [{**r, "testset_sha256": old, "testset_size": 64} for r in stale]
    kept, left = latest_builds(pd.DataFrame(other + rows))
    assert len(kept) == len(other) + len(rows) and left == {}


def test_a_table_says_how_its_networks_ran(rows):
    """The inference suffix of the tabled versions (``zoo_version``) becomes one note: mirror
    averaging or one pass, and the precision; one procedure per model when they differ."""
    import pandas as pd

    from synthzoo.leaderboard.tables import describe_inference

    assert describe_inference("inference3") == "inference version 3, mirror averaged where trained flipped, in float32"
    assert describe_inference("inference3-nomirror-bfloat16") == (
        "inference version 3, once per image (no mirror averaging), in bfloat16")
    assert describe_inference("inference2").startswith("inference version 2, once per image")  # before mirroring
    assert describe_inference("custom-a-b") == "custom-a-b"
    assert not any(n.startswith("Networks:") for n in board(pd.DataFrame(rows))[0].notes)  # no suffix: no note

    once = [{**r, "model_version": r["model_version"] + "+inference3-nomirror"} if r["model_kind"] != "classical"
            else r for r in rows]
    neuro = board(pd.DataFrame(once))[0]
    assert ("Networks: inference version 3, once per image (no mirror averaging), in float32 "
            "(+inference3-nomirror).") in neuro.notes
    mixed = [{**r, "model_version": r["model_version"] + ("+inference3-bfloat16" if r["model"] == "unet" else
                                                          "+inference3-nomirror")}
             if r["model_kind"] != "classical" else r for r in rows]
    note = next(n for n in board(pd.DataFrame(mixed))[0].notes if n.startswith("Networks:"))
    assert note == ("Networks: inference version 3, mirror averaged where trained flipped, in bfloat16 "
                    "(+inference3-bfloat16) for unet; inference version 3, once per image (no mirror "
                    "averaging), in float32 (+inference3-nomirror) for narrow-t1.")
