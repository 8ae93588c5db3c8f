import json

import pytest
from typer.testing import CliRunner

from synthzoo.cli import app
from synthzoo.leaderboard.site import SiteError, build, is_site
from synthzoo.leaderboard.submissions import SubmissionError, check


def test_build_writes_a_complete_static_site(tmp_path, rows, records_file):
    path = records_file(rows)
    site = build([path], tmp_path / "site")
    files = json.loads((site / "leaderboard.json").read_text())["files"]
    assert set(files) == {
        "index.html", "provenance.html", "figures/neuro-mri.png", "figures/fluorescence.png",
        "models/unet.html", "models/narrow-t1.html", "models/multi-otsu.html",
        "testsets/neuro-contrasts.html", "testsets/fluorescence-nuclei.html", "data/records.jsonl",
        "data/leaderboard.csv", "data/records.schema.json", "leaderboard.json"}
    assert sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()) == sorted(files)
    index = (site / "index.html").read_text()
    assert "http://" not in index and "https://" not in index and "<script src" not in index
    assert '<a href="models/narrow-t1.html">narrow-t1</a>' in index and "figures/neuro-mri.png" in index
    # every value links to its provenance row, which names version, commit, weights, test set, device
    assert 'title="synthzoo 0.1.0, commit 0123456789abcdef0123, weights cccccccccccc, test set aaaaaaaaaaaa, ' \
           'device cpu, 2 case(s)"><a href="provenance.html#p-unet--neuro-contrasts--t1w-gre-1.5t">0.700 ± 0.100' in index
    prov = (site / "provenance.html").read_text()
    assert '<tr id="p-unet--neuro-contrasts--t1w-gre-1.5t">' in prov and "a" * 64 in prov
    assert "Weight card" not in (site / "models" / "multi-otsu.html").read_text()
    assert "No bundled weight card for unet" in (site / "models" / "unet.html").read_text()
    assert "BrainWeb" in (site / "testsets" / "neuro-contrasts.html").read_text() or \
        "t1w-gre-1.5t" in (site / "testsets" / "neuro-contrasts.html").read_text()
    assert (site / "figures" / "neuro-mri.png").read_bytes()[:4] == b"\x89PNG"
    assert is_site(site) and not list(tmp_path.glob(".site*"))
    # rebuilding over a previous site replaces it
    build([path], site)
    assert is_site(site) and not list(tmp_path.glob(".site*"))


def test_zoo_model_page_shows_its_weight_card(tmp_path, rows, records_file):
    from synthzoo.zoo.models import get_card

    card = get_card("neuro-mri-tissue-unet-2d")
    zoo = [dict(r, model=card.name, model_version=card.sha256, weights_sha256=card.sha256,
                run_key=r["run_key"].replace("unet", card.name)) for r in rows if r["model"] == "unet"]
    site = build([records_file(zoo)], tmp_path / "site")
    page = (site / "models" / f"{card.name}.html").read_text()
    assert "Weight card" in page and card.sha256 in page and "soft-dice" in page


BAD = [
    (lambda r: dict(r, testset="nope"), "unknown test set 'nope'; valid: ct-head, em-cells, fluorescence-nuclei"),
    (lambda r: dict(r, dice=1.2), "dice 1.2 is outside [0, 1]"),
    (lambda r: dict(r, dice=-0.1), "dice -0.1 is outside [0, 1]"),
    (lambda r: {k: v for k, v in r.items() if k != "git_commit"}, "missing field(s) git_commit"),
    (lambda r: dict(r, synthzoo_version=None), "synthzoo_version is null; it must be a string"),
    (lambda r: dict(r, weights_sha256=None), "weights_sha256 is null; it is required for zoo models"),
    (lambda r: dict(r, schema_version=1), "schema_version 1 is not supported; valid: 2"),
    (lambda r: dict(r, contrast="t9"), "contrast 't9' is not one of neuro-contrasts's: t1w-gre-1.5t"),
    (lambda r: dict(r, label_index=2), "label_index 2 of label 'csf'; neuro-contrasts has it at 1"),
]


@pytest.mark.parametrize("change,message", BAD)
def test_malformed_or_inconsistent_rows_are_rejected_with_file_and_line(tmp_path, rows, records_file,
                                                                        change, message):
    bad = records_file(rows[:1] + [change(rows[1])] + rows[2:])
    _, problems = check([bad])
    assert len(problems) == 1 and problems[0].startswith(f"{bad}:2: {message}")
    with pytest.raises(SubmissionError) as err:
        build([bad], tmp_path / "site")
    assert str(err.value).startswith(f"{bad}:2: {message}")
    assert not list(tmp_path.glob("*site*"))  # nothing built, not even partly


def test_duplicates_junk_and_empty_files(tmp_path, rows, records_file):
    a = records_file(rows, "a.jsonl")
    b = records_file(rows[:2], "b.jsonl")
    _, problems = check([a, b])
    assert problems == [f"{b}:1: duplicate row (same model, model_version, testset, testset_size, testset_seed, "
                        f"case, case_sha256, label as {a}:1)", f"{b}:2: duplicate row (same model, model_version, "
                        f"testset, testset_size, testset_seed, case, case_sha256, label as {a}:2)"]
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(json.dumps(rows[0]).encode() + b"\n\x00\x9c\xff\n" + json.dumps(rows[1]).encode())
    assert check([junk])[1] == [f"{junk}:2: not UTF-8 text",
                                f"{junk}:3: incomplete last line (no newline: a cut-off write)"]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert check([empty, tmp_path / "missing.jsonl"])[1] == [f"{empty}: no records",
                                                             f"{tmp_path / 'missing.jsonl'}: no such file"]


def test_out_that_is_not_a_site_is_refused_or_moved_aside(tmp_path, rows, records_file):
    path = records_file(rows)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(SiteError, match=rf"{mine} exists and is not a leaderboard site \(no leaderboard.json\); "
                                        "choose another --out, or pass --overwrite"):
        build([path], mine)
    assert (mine / "thesis.tex").read_text() == "precious" and not is_site(mine)
    build([path], mine, overwrite=True)
    aside = list(tmp_path.glob("mine.replaced-*"))
    assert is_site(mine) and len(aside) == 1 and (aside[0] / "thesis.tex").read_text() == "precious"


def test_leaderboard_cli_build_validate_schema(tmp_path, rows, records_file):
    cli = CliRunner()
    path = records_file(rows)
    r = cli.invoke(app, ["leaderboard", "validate", str(path)])
    assert r.exit_code == 0 and r.output == f"ok: {len(rows)} valid record(s) in 1 file(s)\n"
    bad = records_file(rows[:4] + [dict(rows[4], dice=3.0)] + rows[5:], "bad.jsonl")
    r = cli.invoke(app, ["leaderboard", "validate", str(bad)])
    assert r.exit_code == 1 and r.output == f"error: {bad}:5: dice 3.0 is outside [0, 1]\n"
    r = cli.invoke(app, ["leaderboard", "build", str(bad), "--out", str(tmp_path / "site")])
    assert r.exit_code == 2 and r.output == f"error: {bad}:5: dice 3.0 is outside [0, 1]\n"
    assert not (tmp_path / "site").exists()
    r = cli.invoke(app, ["leaderboard", "build", str(path), "--out", str(tmp_path / "site")])
    assert r.exit_code == 0 and r.output == f"leaderboard: open {tmp_path / 'site' / 'index.html'}\n"
    r = cli.invoke(app, ["leaderboard", "schema"])
    assert r.exit_code == 0 and json.loads(r.output)["properties"]["schema_version"]["enum"] == [2]
    for metric, best in (("hd95", "**1.300 ± 0.000**"), ("assd", "**0.200 ± 0.000**")):
        r = cli.invoke(app, ["leaderboard", "table", str(path), "--metric", metric])
        assert r.exit_code == 0 and f"mean foreground {metric.upper()} (mm)" in r.output and best in r.output
    r = cli.invoke(app, ["leaderboard", "table", str(path), "--metric", "hd99"])
    assert r.exit_code == 2 and "unknown metric 'hd99'; valid: dice, volume_similarity, hd95, assd" in r.output
