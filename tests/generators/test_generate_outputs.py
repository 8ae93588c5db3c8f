"""``synthzoo generate preview/sample`` follow the output policy: outputs checked before any
work, nothing the command did not write is replaced or deleted, ``--overwrite`` to replace a
previous output of the same kind."""

from __future__ import annotations

from typer.testing import CliRunner

from synthzoo.cli import app


def _run(*args):
    return CliRunner().invoke(app, ["generate", *args])


def test_preview_refuses_to_replace_and_bad_formats_before_work(tmp_path):
    out = tmp_path / "p.png"
    out.write_bytes(b"user's picture")
    r = _run("preview", "em", "--n", "1", "--size", "16", "--out", str(out))
    assert r.exit_code == 2 and "--overwrite" in r.output and out.read_bytes() == b"user's picture"
    r = _run("preview", "em", "--n", "1", "--size", "16", "--out", str(tmp_path / "p.jpg"))
    assert r.exit_code == 2 and ".png" in r.output and not (tmp_path / "p.jpg").exists()
    r = _run("preview", "em", "--n", "1", "--size", "16", "--out", str(out), "--overwrite")
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(bytes([0x89]) + b"PNG")  # replaced by a real montage


def test_sample_never_writes_into_a_foreign_folder(tmp_path):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    for extra in ([], ["--overwrite"]):
        r = _run("sample", "em", "--dims", "2", "--size", "16", "--out", str(mine), *extra)
        assert r.exit_code == 2, r.output
        assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    out = tmp_path / "s"
    r = _run("sample", "em", "--dims", "2", "--size", "16", "--out", str(out))
    assert r.exit_code == 0, r.output
    first = sorted(p.name for p in out.iterdir())
    assert first == ["em_00000_image.tif", "em_00000_labels.tif", "em_00000_params.json"]
    r = _run("sample", "em", "--dims", "2", "--size", "16", "--out", str(out))
    assert r.exit_code == 2 and "--overwrite" in r.output  # a previous output: only with --overwrite
    r = _run("sample", "em", "--dims", "2", "--size", "16", "--out", str(out), "--overwrite", "--seed", "1")
    assert r.exit_code == 0 and len(list(out.iterdir())) == 6  # the earlier files are kept


def test_sample_refuses_its_own_input_as_output(tmp_path):
    import numpy as np
    import tifffile

    lab = tmp_path / "labels.tif"
    tifffile.imwrite(str(lab), np.zeros((16, 16), np.uint8))
    before = lab.read_bytes()
    r = _run("sample", "em", "--labels", str(lab), "--out", str(lab))
    assert r.exit_code == 2 and lab.read_bytes() == before
