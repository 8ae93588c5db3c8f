"""The shared output policy (synthzoo._outputs) and limits (synthzoo._limits)."""

import math

import pytest

from synthzoo._io import commit, temp_path
from synthzoo._limits import check_disk, check_memory, fmt_bytes, positive_finite
from synthzoo._outputs import OutputError, Target, check_output, check_outputs, write_outputs


def _tree(root):
    return sorted((str(p.relative_to(root)), p.read_bytes() if p.is_file() and not p.is_symlink() else None)
                  for p in root.rglob("*"))


def test_refusals_name_the_path_and_change_nothing(tmp_path):
    (tmp_path / "in.txt").write_text("input")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "keep").write_text("keep")
    (tmp_path / "file").write_text("a file")
    before = _tree(tmp_path)
    cases = [
        (dict(path=tmp_path / "dir" / ".."), "names a folder"),
        (dict(path=tmp_path / "in.txt"), "is the input"),
        (dict(path=tmp_path / "x" / ".." / "in.txt"), "is the input"),
        (dict(path=tmp_path / "dir"), "is a folder"),
        (dict(path=tmp_path / "dir", folder=True, own=lambda p: False), "not a previous output"),
        (dict(path=tmp_path / "dir", folder=True), "not a previous output"),
        (dict(path=tmp_path / "file", folder=True, own=lambda p: True), "is a file"),
        (dict(path=tmp_path / "out.jpg", suffixes=(".png",)), "cannot write .jpg; valid: .png"),
        (dict(path=tmp_path / "no" / "out.png"), "does not exist; create it first"),
        (dict(path=tmp_path / "file" / "out.png", parents=True), "is not a folder"),
    ]
    for kw, needle in cases:
        for overwrite in (False, True):
            with pytest.raises(OutputError, match=needle) as exc:
                check_output(inputs=[tmp_path / "in.txt"], overwrite=overwrite, **kw)
            assert str(exc.value).startswith(str(kw["path"])) and "\n" not in str(exc.value)
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        check_output(tmp_path / "file")
    assert _tree(tmp_path) == before


def test_outputs_inside_inputs_and_each_other(tmp_path):
    src = tmp_path / "in.zarr"
    src.mkdir()
    with pytest.raises(OutputError, match="lies inside the input"):
        check_output(src / "labels.zarr", inputs=[src], folder=True)
    with pytest.raises(OutputError, match="holds the input"):
        check_output(tmp_path, inputs=[src], folder=True, own=lambda p: True, overwrite=True)
    a = Target(tmp_path / "a.zarr", folder=True, option="OUTPUT")
    with pytest.raises(OutputError, match=r"a.zarr: is also given as OUTPUT"):
        check_outputs([a, Target(tmp_path / "sub" / ".." / "a.zarr", folder=True)])
    with pytest.raises(OutputError, match="also given as OUTPUT"):
        check_outputs([a, Target(tmp_path / "a.zarr" / "p.zarr", folder=True)])
    assert check_outputs([a, Target(tmp_path / "b.zarr", folder=True)]) == (a.path, tmp_path / "b.zarr")


def test_missing_parents_only_where_allowed(tmp_path):
    assert check_output(tmp_path / "new" / "deeper" / "x.zarr", folder=True, parents=True)
    assert not (tmp_path / "new").exists()  # checking creates nothing


def test_links_are_replaced_never_their_targets(tmp_path):
    (tmp_path / "real.txt").write_text("target")
    link = tmp_path / "out.txt"
    link.symlink_to(tmp_path / "real.txt")
    with pytest.raises(OutputError, match="exists"):
        check_output(link)
    check_output(link, overwrite=True)
    write_outputs({link: lambda p: p.write_text("new")})
    assert not link.is_symlink() and link.read_text() == "new" and (tmp_path / "real.txt").read_text() == "target"
    # a folder output over a link to a folder: the link goes, the folder it named stays
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "f").write_text("keep")
    dlink = tmp_path / "store"
    dlink.symlink_to(tmp_path / "data", target_is_directory=True)
    write_outputs({dlink: lambda p: (p.mkdir(), (p / "x").write_text("1"))})
    assert not dlink.is_symlink() and (dlink / "x").read_text() == "1"
    assert (tmp_path / "data" / "f").read_text() == "keep"


def test_write_outputs_all_or_nothing(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.zarr"
    a.write_text("old a")

    def folder(p):
        p.mkdir()
        (p / "x").write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_outputs({a: lambda p: p.write_text("new a"), b: folder})
    assert a.read_text() == "old a" and not b.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    write_outputs({a: lambda p: p.write_text("new a"), b: lambda p: (p.mkdir(), (p / "x").write_text("1"))})
    assert a.read_text() == "new a" and (b / "x").read_text() == "1"
    # a previous folder output is swapped whole: no file of the old one survives
    (b / "stale").write_text("old")
    write_outputs({b: lambda p: (p.mkdir(), (p / "y").write_text("2"))})
    assert sorted(p.name for p in b.iterdir()) == ["y"] and sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.zarr"]


def test_commit_never_puts_a_file_over_a_folder(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "keep").write_text("k")
    tmp = temp_path(tmp_path / "d")
    tmp.write_text("file")
    with pytest.raises(IsADirectoryError):
        commit(tmp, tmp_path / "d")
    assert (tmp_path / "d" / "keep").read_text() == "k"


@pytest.mark.parametrize("value", [0, -1, math.inf, -math.inf, math.nan, "x", None])
def test_positive_finite_rejects(value):
    with pytest.raises(ValueError, match="--spacing"):
        positive_finite(value, "--spacing")


def test_positive_finite_and_estimates():
    assert positive_finite("0.5", "--spacing") == 0.5
    assert fmt_bytes(1536) == "1.5 KiB" and fmt_bytes(3 * 1024**3) == "3.0 GiB" and fmt_bytes(12) == "12 B"
    check_memory(1024, "tiny", available=2048)
    with pytest.raises(ValueError, match=r"^big needs about 2.0 KiB of memory; 1.0 KiB available; crop it$"):
        check_memory(2048, "big", available=1024, hint="crop it")


def test_check_disk_uses_nearest_existing_folder(tmp_path):
    check_disk(1, tmp_path / "not" / "yet", "store")
    with pytest.raises(ValueError, match=r"store needs about .* on disk; .* free under"):
        check_disk(1e30, tmp_path / "not" / "yet", "store")
