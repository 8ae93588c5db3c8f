import pytest

from synthzoo._io import atomic_write, temp_path, write_text


def test_temp_name_keeps_every_extension_and_is_hidden(tmp_path):
    assert temp_path(tmp_path / "img.nii.gz").name == ".img.partial.nii.gz"
    assert temp_path(tmp_path / "report.json").name == ".report.partial.json"


def test_write_then_rename_and_nothing_left_on_failure(tmp_path):
    out = write_text(tmp_path / "sub" / "a.json", "{}")
    assert out.read_text() == "{}" and sorted(p.name for p in out.parent.iterdir()) == ["a.json"]

    def broken(p):
        p.write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(tmp_path / "sub" / "a.json", broken)
    # the complete file from before is untouched and no partial file is left
    assert out.read_text() == "{}" and sorted(p.name for p in out.parent.iterdir()) == ["a.json"]
