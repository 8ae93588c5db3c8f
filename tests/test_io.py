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


def test_shared_writers_of_one_cache_entry_do_not_trip_over_each_other(tmp_path):
    """Two writers filling the same cache entry at once (two training runs started together):
    each has its own temporary name, so neither removes the other's file mid-write."""
    import threading

    target = tmp_path / "cache" / "08-u8.npy"
    inside = threading.Barrier(2)
    errors = []

    def writer():
        def write(p):
            p.write_bytes(b"x" * 1000)
            inside.wait(timeout=10)  # both temporary files exist before either renames
        try:
            atomic_write(target, write, shared=True)
        except Exception as exc:  # pragma: no cover - the failure this test guards against
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert target.read_bytes() == b"x" * 1000
    assert sorted(p.name for p in target.parent.iterdir()) == ["08-u8.npy"]
