"""Test-set storage (synthzoo.datasets.store) behaviour by behaviour, on tiny hand-written
stores: a toy builder writes two 16x20 cases in 8x8 chunks (six chunks per array, the last
column of chunks 4 wide).  Building, the lock, the checks before a build, the manifest,
opening and verifying, and what every error says.  Checksums are compared with an
independent hashlib computation.  Written against the surviving mutants of
scripts/mutation.sh; the whole file runs in a few seconds."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from types import SimpleNamespace

import dask
import numpy as np
import pytest
import zarr

import synthzoo.datasets.store as store
from synthzoo.datasets.base import REQUIRED_ATTRS, CaseSpec, DatasetError, TestSetBuilder, TestSetCard

NAME = "toy-set"
B, D = "bright-000", "dim-000"  # bright has a field-of-view mask, dim a brain mask
SHAPE = (16, 20)
CHUNKS = (8, 8)
LICENSE = TestSetBuilder.license


def toy_arrays(size: int, gain: float, second: str) -> dict[str, np.ndarray]:
    """The arrays the toy builder writes for one case, at ``size``."""
    lab = np.zeros((size, size + 4), np.uint8)
    lab[2:10, 3:15] = 1
    lab[9:14, 12:19] = 2
    rows = np.arange(size, dtype=np.float32)[:, None] / 100
    img = (gain * lab + rows + np.zeros(lab.shape, np.float32)).astype(np.float32)
    extra = np.ones(lab.shape, np.uint8)
    extra[:, 0] = 0
    return {"image": img, "labels": lab, second: extra}


class Toy(TestSetBuilder):
    name = NAME
    domain = "toy"
    dims = 2
    description = "two hand-written cases"
    method = "two rectangles; image = gain * labels + row / 100"
    label_names = ("background", "square", "bar")
    contrasts = ("bright", "dim")
    contrast_table = {"bright": {"gain": 2.0}, "dim": {"gain": 0.5}}
    anatomy_source = "none"
    default_size = 16
    default_cases = 1
    min_size = 8
    work_bytes_per_voxel = 8.0

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.workers: list[int] = []

    def write_case(self, spec, writer, *, size, workers=1):
        self.calls.append(spec.name)
        self.workers.append(workers)
        arrays = toy_arrays(size, spec.params["gain"], "mask" if spec.contrast == "bright" else "brain")
        writer.put("labels", arrays["labels"].astype(np.int64))  # stored as uint8
        image = writer.create("image", arrays["image"].shape)  # float32 by default
        image[...] = arrays["image"]
        writer.advance(1, 3)
        for key in ("mask", "brain"):
            if key in arrays:
                writer.put(key, arrays[key])
        return {"spacing": [0.5, 0.25], "axes": "yx", "simulator": "toy", "units": "a.u."}


def small_chunks(shape):
    return tuple(min(8, int(n)) for n in shape)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canon(value) -> str:
    """Independent canonical-JSON sha256."""
    return sha(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def chunk_sha(data: np.ndarray, chunks=CHUNKS) -> str:
    """Independent checksum: the chunks' bytes in chunk-grid C order."""
    h = hashlib.sha256()
    for start in itertools.product(*(range(0, n, c) for n, c in zip(data.shape, chunks))):
        block = data[tuple(slice(s, s + c) for s, c in zip(start, chunks))]
        h.update(np.ascontiguousarray(block).tobytes())
    return h.hexdigest()


def expected_sha(size: int = 16) -> dict[str, dict[str, str]]:
    return {B: {k: chunk_sha(v) for k, v in toy_arrays(size, 2.0, "mask").items()},
            D: {k: chunk_sha(v) for k, v in toy_arrays(size, 0.5, "brain").items()}}


CARD = {"name": NAME, "domain": "toy", "dims": 2, "description": "two hand-written cases",
        "method": "two rectangles; image = gain * labels + row / 100",
        "label_names": ["background", "square", "bar"], "contrasts": ["bright", "dim"], "license": LICENSE,
        "anatomy_source": "none", "size": 16, "cases_per_contrast": 1, "seed": 0, "cases": [B, D],
        "references": []}
SETTINGS = {"size": 16, "cases": 1, "seed": 0, "format": 1, "contrasts": ["bright", "dim"], "version": 1}


@pytest.fixture()
def chunks8(monkeypatch):
    monkeypatch.setattr(store, "chunk_shape", small_chunks)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The toy store, built once: (root, store path, builder, progress calls)."""
    root = tmp_path_factory.mktemp("toy")
    mp = pytest.MonkeyPatch()
    mp.setattr(store, "chunk_shape", small_chunks)
    calls: list[tuple] = []
    toy = Toy()
    try:
        path = store.build(toy, root, progress=lambda *a: calls.append(a))
    finally:
        mp.undo()
    return root, path, toy, calls


@pytest.fixture()
def copy(built, tmp_path):
    """A copy of the toy store in a fresh root (for tests that change it): (root, path)."""
    shutil.copytree(built[1], tmp_path / f"{NAME}.zarr")
    return tmp_path, tmp_path / f"{NAME}.zarr"


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


def edit(path: Path, fn) -> None:
    d = json.loads(path.read_text())
    fn(d)
    path.write_text(json.dumps(d))


def raises(fn, *args, **kw) -> str:
    """The message of the DatasetError that ``fn(*args, **kw)`` raises."""
    with pytest.raises(DatasetError) as info:
        fn(*args, **kw)
    return str(info.value)


# -- paths and chunking -----------------------------------------------------------------------


def test_default_root_size_root_and_the_store_paths(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.setenv("SYNTHZOO_DATA", str(tmp_path))
    home = tmp_path / "datasets"
    assert store.default_root() == home
    assert store.size_root() == home and store.size_root(quick=True) == home / "quick"
    assert store.size_root("r") == Path("r") and store.size_root(Path("r"), quick=True) == Path("r/quick")
    assert store.store_path("x") == home / "x.zarr" and store.partial_path("x") == home / ".x.zarr.partial"
    assert store.store_path("x", "r") == Path("r/x.zarr")
    assert store.partial_path("x", "r") == Path("r/.x.zarr.partial")
    user = Path(platformdirs.user_data_dir("synthzoo")) / "datasets"
    monkeypatch.setenv("SYNTHZOO_DATA", "")  # empty: as if unset
    assert store.default_root() == user
    monkeypatch.delenv("SYNTHZOO_DATA")
    assert store.default_root() == user and store.size_root(quick=True) == user / "quick"
    assert store.store_path("x") == user / "x.zarr"


def test_chunk_shape_is_64_cubed_in_3d_and_256_squared_otherwise():
    assert store.chunk_shape((100, 64, 63)) == (64, 64, 63)
    assert store.chunk_shape((65, 300, 1)) == (64, 64, 1)
    assert store.chunk_shape((300, 257)) == (256, 256)
    assert store.chunk_shape((256, 255)) == (256, 255)
    assert store.chunk_shape((1000,)) == (256,)
    assert store.chunk_shape((2, 3, 4, 300)) == (2, 3, 4, 256)


def test_iter_chunks_in_chunk_grid_c_order_with_short_last_chunks():
    arr = SimpleNamespace(shape=(5, 7), chunks=(2, 3))
    got = [tuple((s.start, s.stop) for s in sl) for sl in store.iter_chunks(arr)]
    assert got == [((0, 2), (0, 3)), ((0, 2), (3, 6)), ((0, 2), (6, 7)),
                   ((2, 4), (0, 3)), ((2, 4), (3, 6)), ((2, 4), (6, 7)),
                   ((4, 5), (0, 3)), ((4, 5), (3, 6)), ((4, 5), (6, 7))]
    assert all(s.step is None for sl in store.iter_chunks(arr) for s in sl)
    assert [sl for sl in store.iter_chunks(SimpleNamespace(shape=(4,), chunks=(4,)))] == [(slice(0, 4),)]
    # a region: the whole chunks it overlaps (a partial chunk counts), open ends clipped
    got = [tuple((s.start, s.stop) for s in sl) for sl in store.iter_chunks(arr, (slice(3, 4), slice(5, None)))]
    assert got == [((2, 4), (3, 6)), ((2, 4), (6, 7))]
    assert list(store.iter_chunks(arr, (slice(1, 1), slice(0, 7)))) == []


def test_array_checksum_is_the_chunks_bytes_in_grid_order(tmp_path):
    data = (np.arange(16 * 20, dtype=np.float32).reshape(SHAPE) ** 1.5).astype(np.float32)
    arr = zarr.create_array(str(tmp_path / "a.zarr"), shape=SHAPE, dtype="float32", chunks=CHUNKS)
    arr[...] = data
    assert store.array_sha256(arr) == chunk_sha(data)
    assert store.array_sha256(arr) != hashlib.sha256(data.tobytes()).hexdigest()  # not the whole array's
    (tmp_path / "a.zarr" / "c" / "1" / "0").write_bytes(b"not blosc")
    with pytest.raises(DatasetError) as info:
        store.array_sha256(arr, where="set/case/image")
    msg = str(info.value)
    assert msg.startswith("set/case/image: chunk at [8:16, 0:8] cannot be read: ")
    assert msg == (f"set/case/image: chunk at [8:16, 0:8] cannot be read: "
                   f"{type(info.value.__cause__).__name__}: {info.value.__cause__}")


def test_canonical_json_checksum_and_the_metadata_digest():
    value = {"b": [1, 2.5, None, True], "a": "µm"}
    assert store.canonical_sha256(value) == sha('{"a":"µm","b":[1,2.5,null,true]}')
    assert store.canonical_sha256("x") == sha('"x"')
    got = store.metadata_digest({"name": "x", "dims": 2}, {"size": 16, "seed": 0},
                                {"c1": {"seed": 3, "axes": "yx"}, "c2": {}})
    assert got == {"card": {"name": sha('"x"'), "dims": sha("2")}, "build": sha('{"seed":0,"size":16}'),
                   "cases": {"c1": {"seed": sha("3"), "axes": sha('"yx"')}, "c2": {}}}


def test_diff_fields_lists_changed_added_and_missing_fields_sorted():
    digests = {"same": canon(1), "changed": canon("old"), "gone": canon(0), "nested": canon({"a": [1]})}
    values = {"same": 1, "changed": "new", "added": {"k": "v" * 80}, "nested": {"a": [1]}}
    assert store.diff_fields("w/c", "attribute", values, digests) == [
        "w/c: attribute 'added' is not in the manifest (added: {\"k\": \"" + "v" * 50 + "...)",
        "w/c: attribute 'changed' does not match the manifest (now \"new\")",
        "w/c: attribute 'gone' is missing (the manifest lists it)",
    ]
    assert store.diff_fields("w", "field", {"a": 1}, {"a": canon(1)}) == []


def test_short_json_one_line_errors_and_chunk_positions():
    assert store._short("x" * 58) == '"' + "x" * 58 + '"'  # 60 characters: kept
    assert store._short("x" * 59) == '"' + "x" * 56 + "..."  # 61: cut to 60
    assert store._short({"b": 1, "a": "µ"}) == '{"a": "µ", "b": 1}'
    assert store._short([1, 2, 3], 5) == "[1..."
    assert store._one_line(ValueError("a\n  b\tc ")) == "ValueError: a b c"
    assert store._fmt((slice(0, 8), slice(16, 20))) == "[0:8, 16:20]"
    assert store._fmt((slice(3, 4),)) == "[3:4]"


# -- the build lock -----------------------------------------------------------------------------


def test_lock_holds_the_pid_refuses_a_second_holder_and_is_removed(tmp_path):
    path = tmp_path / "sub" / "deeper" / ".toy.lock"
    with store._Lock(path) as lock:
        assert lock.path == path and path.read_text() == str(os.getpid())
        with pytest.raises(DatasetError) as info:
            store._Lock(path).__enter__()
        assert str(info.value) == (f"{path}: being built by process {os.getpid()}; wait for it, or remove "
                                   f"the lock file if that process is gone")
        assert info.value.__suppress_context__ and info.value.__cause__ is None
    assert not path.exists()
    with store._Lock(path):  # the folder exists now
        path.unlink()  # removed by hand meanwhile: leaving still works
    assert not path.exists()


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _default_signals() -> None:
    """Every signal's default action (a parent, e.g. nohup, may have left some ignored)."""
    for sig in signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP}:
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass


@pytest.fixture()
def other():
    """Another live process (never this test's parent, which a broken check could signal)."""
    proc = subprocess.Popen(["sleep", "60"], preexec_fn=_default_signals)
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.parametrize("content", ["999999999", "", "   ", "garbage", "dead"])
def test_a_stale_lock_is_taken_over(tmp_path, content):
    path = tmp_path / ".toy.lock"
    path.write_text(str(dead_pid()) if content == "dead" else content)
    with store._Lock(path):
        assert path.read_text() == str(os.getpid())
    assert not path.exists()


def test_a_lock_taken_by_another_process_is_refused(tmp_path, other):
    path = tmp_path / ".toy.lock"
    path.write_text(f" {other.pid}\n")
    msg = raises(store._Lock(path).__enter__)
    assert msg.startswith(f"{path}: being built by process {other.pid}; ")
    assert path.read_text() == f" {other.pid}\n"


def test_a_stale_lock_removed_meanwhile_by_another_builder_is_no_error(tmp_path, monkeypatch):
    path = tmp_path / ".toy.lock"
    path.write_text("424242")

    def removed_while_checking(pid):
        path.unlink()
        return False

    monkeypatch.setattr(store, "_alive", removed_while_checking)
    with store._Lock(path):
        assert path.read_text() == str(os.getpid())


def test_a_lock_lost_twice_in_a_row_is_given_up(tmp_path, monkeypatch):
    """Another builder re-creates the lock every time this one removes a stale one: two tries."""
    path = tmp_path / ".toy.lock"
    path.write_text("999999999")
    real, tries = os.open, []

    def racing(p, *a, **kw):
        if Path(p) == path:
            tries.append(p)
            path.write_text("999999999")
            raise FileExistsError(p)
        return real(p, *a, **kw)

    monkeypatch.setattr(store.os, "open", racing)
    assert raises(store._Lock(path).__enter__) == f"{path}: cannot take the build lock"
    assert len(tries) == 2


def test_alive_asks_without_signalling(other, monkeypatch):  # monkeypatch undone first
    assert store._alive(os.getpid()) is True
    assert store._alive(other.pid) is True
    with pytest.raises(subprocess.TimeoutExpired):
        other.wait(timeout=0.3)  # still running: signal 0 only asks
    assert store._alive(dead_pid()) is False

    def denied(pid, sig):
        raise PermissionError(pid)

    monkeypatch.setattr(store.os, "kill", denied)
    assert store._alive(12345) is True  # someone else's process


# -- recognising a store ------------------------------------------------------------------------


def _group(path: Path, attrs, **extra) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "zarr.json").write_text(json.dumps({"zarr_format": 3, "node_type": "group", "attributes": attrs,
                                                **extra}))
    return path


def test_is_store_of(tmp_path):
    ours = _group(tmp_path / "a", {"card": {"name": NAME}, "build": {}})
    assert store._is_store_of(ours, NAME) and store._is_store_of(ours, NAME, complete=False)
    assert not store._is_store_of(ours, "other") and not store._is_store_of(ours, "other", complete=False)
    bare = _group(tmp_path / "b", {})
    assert not store._is_store_of(bare, NAME) and store._is_store_of(bare, NAME, complete=False)
    started = _group(tmp_path / "c", {"build": {"size": 16}})
    assert not store._is_store_of(started, NAME) and store._is_store_of(started, NAME, complete=False)
    other = _group(tmp_path / "d", {"title": "mine"})
    assert not store._is_store_of(other, NAME, complete=False)
    array = _group(tmp_path / "e", {"card": {"name": NAME}})
    edit(array / "zarr.json", lambda d: d.update(node_type="array"))
    assert not store._is_store_of(array, NAME) and not store._is_store_of(array, NAME, complete=False)
    card_not_dict = _group(tmp_path / "f", {"card": NAME})
    assert not store._is_store_of(card_not_dict, NAME) and not store._is_store_of(card_not_dict, NAME, complete=False)
    empty = tmp_path / "g"
    empty.mkdir()
    assert not store._is_store_of(empty, NAME) and store._is_store_of(empty, NAME, complete=False)
    (empty / "x").write_text("")
    assert not store._is_store_of(empty, NAME, complete=False)
    bad = tmp_path / "h"
    bad.mkdir()
    (bad / "zarr.json").write_text("{not json")
    assert not store._is_store_of(bad, NAME) and not store._is_store_of(bad, NAME, complete=False)
    assert not store._is_store_of(tmp_path / "missing", NAME, complete=False)
    (tmp_path / "file").write_text("")
    assert not store._is_store_of(tmp_path / "file", NAME, complete=False)


@pytest.mark.parametrize("text", ["[1, 2]", '"group"', "7",
                                  json.dumps({"node_type": "group", "attributes": 5}),
                                  json.dumps({"node_type": "group", "attributes": ["build"]})])
def test_malformed_group_metadata_is_not_a_store(tmp_path, text):
    path = tmp_path / "x"
    path.mkdir()
    (path / "zarr.json").write_text(text)
    assert store._is_store_of(path, NAME) is False
    assert store._is_store_of(path, NAME, complete=False) is False


# -- checks before a build ------------------------------------------------------------------------


def test_check_build_settings_and_paths(tmp_path):
    root = tmp_path / "a" / "b"  # created later
    plan = store.check_build(Toy(), root, size=12, cases=3, seed=5, contrasts=["dim"])
    assert plan == store.BuildPlan(NAME, 12, {"size": 12, "cases": 3, "seed": 5, "format": 1, "contrasts": ["dim"], "version": 1},
                                   root / f"{NAME}.zarr", root / f".{NAME}.zarr.partial")
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.size = 1  # a checked plan is not changed afterwards
    assert not root.exists()  # nothing written
    default = store.check_build(Toy(), tmp_path)
    assert default.size == 16 and default.settings == SETTINGS
    both = store.check_build(Toy(), tmp_path, cases="2", contrasts=["dim", "bright"])
    assert both.settings["contrasts"] == ["bright", "dim"] and both.settings["cases"] == 2  # builder order
    assert store.check_build(Toy(), tmp_path, cases=1).settings["cases"] == 1
    assert store.check_build(Toy(), tmp_path, cases=1000).settings["cases"] == 1000


def test_check_build_refuses_bad_roots_sizes_cases_and_contrasts(tmp_path):
    f = tmp_path / "file"
    f.write_text("mine")
    assert raises(store.check_build, Toy(), f) == f"{f}: not a folder; --root must be a folder (created if missing)"
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    assert raises(store.check_build, Toy(), link) == (f"{link}: not a folder; --root must be a folder "
                                                      f"(created if missing)")
    assert raises(store.check_build, Toy(), tmp_path, size=4) == f"{NAME}: size 4 is too small; use at least 8"
    for n in (0, 1001, -1):
        assert raises(store.check_build, Toy(), tmp_path, cases=n) == f"{NAME}: --cases {n}: valid: 1 to 1000 per contrast"
    assert raises(store.check_build, Toy(), tmp_path, contrasts=["dim", "x", "y"]) == (
        f"{NAME}: unknown contrast(s) x, y; valid: bright, dim")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "link"]


def test_check_build_refuses_folders_that_are_not_this_test_sets(tmp_path):
    final = _group(tmp_path / f"{NAME}.zarr", {"card": {"name": "another-set"}})
    assert raises(store.check_build, Toy(), tmp_path) == (
        f"{final}: is an existing folder that is not a previous {NAME} test-set store; choose a new name "
        f"(nothing was changed)")
    shutil.rmtree(final)
    part = tmp_path / f".{NAME}.zarr.partial"
    part.mkdir()
    (part / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError) as info:
        store.check_build(Toy(), tmp_path)
    assert str(info.value) == (f"{part}: is an existing folder that is not a previous partial {NAME} build; "
                               f"choose a new name (nothing was changed)")
    assert info.value.__suppress_context__ and info.value.__cause__ is None
    (part / "notes.txt").unlink()
    assert store.check_build(Toy(), tmp_path).part == part  # an empty folder: a partial build's start
    _group(part, {})
    assert store.check_build(Toy(), tmp_path).part == part  # a bare group too
    assert (part / "zarr.json").exists()


def test_check_build_checks_the_disk_only_when_there_is_something_to_build(built, tmp_path, monkeypatch):
    import synthzoo._limits as limits
    from synthzoo._limits import fmt_bytes

    monkeypatch.setattr(limits, "free_disk", lambda path: 100)
    root = built[0]
    assert store.check_build(Toy(), root).settings == SETTINGS  # built already: nothing to write
    assert raises(store.check_build, Toy(), root, seed=1) == (
        f"{NAME}: 2 case(s) of size 16 needs about {fmt_bytes(2 * 16 * 16 * 6)} on disk; 100 B free under "
        f"{root}; use a smaller --size or --cases")
    assert raises(store.check_build, Toy(), tmp_path, cases=3, contrasts=["dim"]).startswith(
        f"{NAME}: 3 case(s) of size 16 needs about {fmt_bytes(3 * 16 * 16 * 6)} on disk")
    assert list(tmp_path.iterdir()) == []


def test_stored_settings(built, tmp_path):
    assert store._stored_settings(built[1]) == SETTINGS
    assert store._stored_settings(tmp_path) is None
    assert store._stored_settings(tmp_path / "missing") is None


# -- the case writer ----------------------------------------------------------------------------


def test_group_writer_arrays_dtypes_and_errors(tmp_path):
    g = zarr.open_group(str(tmp_path / "s.zarr"), mode="a", zarr_format=3).create_group("c1")
    calls = []
    w = store.GroupWriter(g, "c1", lambda *a: calls.append(a))
    w.advance(2, 5)
    assert calls == [("c1", 2, 5)]
    store.GroupWriter(g, "c1").advance(1, 2)  # no progress callback: nothing to call
    assert raises(w.create, "probs", (4, 4)) == "case 'c1': unknown array 'probs'; valid: image, labels, mask, brain, instances"
    assert raises(w.create, "labels", (4, 4), "float32") == "case 'c1': labels must be uint8, not float32"
    assert raises(w.put, "probs", np.zeros((2, 2))) == "case 'c1': unknown array 'probs'; valid: image, labels, mask, brain, instances"
    img = w.create("image", (300, np.int64(20)), "f4")  # any spelling of the right dtype
    assert img.dtype == np.float32 and img.shape == (300, 20) and img.chunks == (256, 20)
    assert g["image"].shape == (300, 20)
    img[:10, :] = 5.0
    assert float(img[299, 19]) == 0.0  # unwritten: the fill value 0
    again = w.create("image", (4, 4))  # replaces the earlier array
    assert again.shape == (4, 4) and again.dtype == np.float32 and again.chunks == (4, 4)
    w.put("labels", np.arange(12, dtype=np.int64).reshape(3, 4) + 250)
    assert g["labels"].dtype == np.uint8 and g["labels"][...].tolist() == [[250, 251, 252, 253], [254, 255, 0, 1],
                                                                          [2, 3, 4, 5]]
    w.put("mask", np.zeros((300, 3), bool))  # every chunk is written, even empty ones
    assert sorted(p.name for p in (tmp_path / "s.zarr" / "c1" / "mask" / "c").iterdir()) == ["0", "1"]
    meta = json.loads((tmp_path / "s.zarr" / "c1" / "labels" / "zarr.json").read_text())
    blosc = [c["configuration"] for c in meta["codecs"] if c["name"] == "blosc"]
    assert len(blosc) == 1 and {k: blosc[0][k] for k in ("cname", "clevel", "shuffle")} == {
        "cname": "zstd", "clevel": 3, "shuffle": "bitshuffle"}
    assert meta["fill_value"] == 0 and meta["data_type"] == "uint8"


# -- building -----------------------------------------------------------------------------------


def test_build_writes_the_cases_the_card_and_a_manifest(built):
    root, path, toy, calls = built
    assert path == root / f"{NAME}.zarr"
    assert sorted(p.name for p in root.iterdir()) == [f"{NAME}.zarr"]  # no partial build, no lock left
    assert toy.calls == [B, D] and toy.workers == [1, 1]
    assert calls == [(B, 0, 2), (B, 1, 3), (D, 1, 2), (D, 1, 3), ("done", 2, 2)]
    grp = zarr.open_group(str(path), mode="r")
    assert dict(grp.attrs) == {"card": CARD, "build": SETTINGS, "complete": True}
    shas = expected_sha()
    attrs = {c: dict(grp[c].attrs) for c in (B, D)}
    for c, contrast, seed, gain in ((B, "bright", 10_000_000, 2.0), (D, "dim", 10_000_100, 0.5)):
        a = attrs[c]
        assert isinstance(a["build_seconds"], float) and 0 <= a["build_seconds"] < 60
        assert a == {"domain": "toy", "contrast": contrast, "seed": seed, "license": LICENSE,
                     "anatomy_source": "none", "parameters": {"gain": gain}, "spacing": [0.5, 0.25], "axes": "yx",
                     "simulator": "toy", "units": "a.u.", "sha256": shas[c], "build_seconds": a["build_seconds"],
                     "complete": True}
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest == {
        "name": NAME, "format": 1, "manifest": 2,
        "cases": {c: {k: {"sha256": shas[c][k], "shape": list(SHAPE), "dtype": "float32" if k == "image" else "uint8"}
                      for k in shas[c]} for c in (B, D)},
        "metadata": {"card": {k: canon(v) for k, v in CARD.items()}, "build": canon(SETTINGS),
                     "cases": {c: {k: canon(v) for k, v in attrs[c].items()} for c in (B, D)}}}
    assert list(manifest["cases"][B]) == ["image", "labels", "mask"]
    assert list(manifest["cases"][D]) == ["image", "labels", "brain"]
    for c in (B, D):
        assert grp[c]["image"].chunks == CHUNKS and len(list((path / c / "image" / "c").rglob("*"))) == 2 + 6


def test_a_store_of_an_earlier_builder_version_is_rebuilt(built, tmp_path, chunks8):
    """Same settings, another ``version`` of the builder: the cases are obsolete, so the store
    is rebuilt (replaced once whole) without ``force``; a store without a stored version is
    version 1."""
    import zarr

    root, path, _, _ = built
    shutil.copytree(path, tmp_path / f"{NAME}.zarr")
    grp = zarr.open_group(str(tmp_path / f"{NAME}.zarr"), mode="a")
    grp.attrs["build"] = {k: v for k, v in SETTINGS.items() if k != "version"}  # before versions
    assert store._stored_settings(tmp_path / f"{NAME}.zarr") == SETTINGS
    toy = Toy()
    assert store.build(toy, tmp_path) == tmp_path / f"{NAME}.zarr" and toy.calls == []  # 1 == 1
    toy.version = 2
    assert store.build(toy, tmp_path) == tmp_path / f"{NAME}.zarr" and toy.calls == [B, D]
    assert store._stored_settings(tmp_path / f"{NAME}.zarr") == {**SETTINGS, "version": 2}
    assert store.stored_settings(store.open_testset(NAME, tmp_path))["version"] == 2
    # other settings still need force, whatever the version
    toy.version = 3
    assert "pass force=True" in raises(store.build, toy, tmp_path, seed=4)


def test_build_is_reused_rebuilt_only_with_force_and_checked_first(built, tmp_path, chunks8):
    root, path, _, _ = built
    toy = Toy()
    mtime = os.path.getmtime(path / "manifest.json")
    assert store.build(toy, root) == path and toy.calls == []  # same settings: returned as is
    assert os.path.getmtime(path / "manifest.json") == mtime
    old = {"size": 16, "cases": 1, "seed": 0, "format": 1, "contrasts": ["bright", "dim"], "version": 1}
    new = {**old, "seed": 1}
    assert raises(store.build, toy, root, seed=1) == (
        f"{path} exists, built with {old}; requested {new}: pass force=True (--force) to rebuild, or use another root")
    assert toy.calls == [] and not (root / f".{NAME}.lock").exists()
    shutil.copytree(path, tmp_path / f"{NAME}.zarr")
    assert store.build(toy, tmp_path, force=True) == tmp_path / f"{NAME}.zarr"  # same settings, forced
    assert toy.calls == [B, D]
    assert store.build(toy, tmp_path, seed=1, force=True, contrasts=["dim"], workers=3) == tmp_path / f"{NAME}.zarr"
    assert toy.calls == [B, D, D] and toy.workers == [1, 1, 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{NAME}.zarr"]
    ts = store.open_testset(NAME, tmp_path)
    assert list(ts.cases) == [D] and ts.card.seed == 1 and ts.card.cases == (D,)
    assert ts[D].attrs["seed"] == 10_000_000 + 1000 + 100
    with pytest.raises(DatasetError, match="unknown contrast"):
        store.build(toy, tmp_path / "new", contrasts=["x"])
    assert not (tmp_path / "new").exists()


class Flaky(Toy):
    """Fails in the second case (after writing its image), once."""

    def __init__(self, fail: bool = True) -> None:
        super().__init__()
        self.fail = fail

    def write_case(self, spec, writer, *, size, workers=1):
        if self.fail and spec.name == D:
            self.calls.append(spec.name)
            writer.put("image", np.zeros((size, size + 4), np.float32))
            self.fail = False
            raise RuntimeError("power cut")
        return super().write_case(spec, writer, size=size, workers=workers)


def test_an_interrupted_build_resumes_at_the_first_incomplete_case(tmp_path, chunks8):
    toy = Flaky()
    with pytest.raises(RuntimeError, match="power cut"):
        store.build(toy, tmp_path)
    part = tmp_path / f".{NAME}.zarr.partial"
    assert sorted(p.name for p in tmp_path.iterdir()) == [part.name]  # no store, no lock
    g = zarr.open_group(str(part), mode="r")
    assert dict(g.attrs) == {"card": CARD, "build": SETTINGS, "complete": False}
    assert g[B].attrs["complete"] is True and "complete" not in g[D].attrs and "labels" not in g[D]
    assert raises(store.open_testset, NAME, tmp_path) == (
        f"test set {NAME!r} under {tmp_path} is only partly built; resume with `synthzoo datasets build {NAME}`")
    assert store.build(toy, tmp_path) == tmp_path / f"{NAME}.zarr"
    assert toy.calls == [B, D, D]  # the complete case was not written again
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{NAME}.zarr"]
    rep = store.verify(NAME, tmp_path)
    assert rep["ok"], rep
    m = json.loads((tmp_path / f"{NAME}.zarr" / "manifest.json").read_text())
    assert {c: {k: v["sha256"] for k, v in a.items()} for c, a in m["cases"].items()} == expected_sha()


def test_a_partial_build_with_other_settings_is_started_again(tmp_path, chunks8):
    with pytest.raises(RuntimeError):
        store.build(Flaky(), tmp_path, seed=3)
    toy = Toy()
    store.build(toy, tmp_path)
    assert toy.calls == [B, D]
    assert store.open_testset(NAME, tmp_path).card.seed == 0 and store.verify(NAME, tmp_path)["ok"]


def test_a_partial_build_zarr_cannot_open_is_started_again(tmp_path, chunks8):
    _group(tmp_path / f".{NAME}.zarr.partial", {}, zarr_format=99)  # ours by its look, unreadable by zarr
    toy = Toy()
    store.build(toy, tmp_path)
    assert toy.calls == [B, D] and store.verify(NAME, tmp_path)["ok"]
    empty = tmp_path / "e"
    (empty / f".{NAME}.zarr.partial").mkdir(parents=True)
    assert store.build(Toy(), empty) == empty / f"{NAME}.zarr"
    assert store.verify(NAME, empty)["ok"]


def test_the_build_lock_is_held_while_building_and_refuses_a_second_build(tmp_path, chunks8, other):
    seen = []

    class Watched(Toy):
        def write_case(self, spec, writer, *, size, workers=1):
            seen.append((tmp_path / f".{NAME}.lock").read_text())
            return super().write_case(spec, writer, size=size, workers=workers)

    store.build(Watched(), tmp_path)
    assert seen == [str(os.getpid())] * 2 and not (tmp_path / f".{NAME}.lock").exists()
    (tmp_path / f".{NAME}.lock").write_text(str(other.pid))
    assert raises(store.build, Toy(), tmp_path, force=True).startswith(
        f"{tmp_path / f'.{NAME}.lock'}: being built by process {other.pid}")


def test_build_seconds_is_the_case_time_in_milliseconds(tmp_path, chunks8, monkeypatch):
    ticks = iter([10.0, 11.23456, 20.0, 20.0004])
    monkeypatch.setattr(store, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))
    store.build(Toy(), tmp_path)
    g = zarr.open_group(str(tmp_path / f"{NAME}.zarr"), mode="r")
    assert g[B].attrs["build_seconds"] == 1.235 and g[D].attrs["build_seconds"] == 0.0


@pytest.mark.parametrize("fault,message", [
    ("attrs", f"{NAME}/{B}: builder did not set spacing, axes"),
    ("image", f"{NAME}/{B}: builder did not write 'image'"),
    ("labels", f"{NAME}/{B}: builder did not write 'labels'"),
    ("shape", f"{NAME}/{B}: arrays differ in shape: {{'image': (16, 20), 'labels': (16, 20), 'mask': (16, 19)}}"),
    ("shape2", f"{NAME}/{B}: arrays differ in shape: {{'image': (16, 20), 'labels': (16, 20), 'mask': (16, 20), "
               f"'brain': (15, 20)}}"),
])
def test_a_faulty_builder_is_refused_and_leaves_no_store(tmp_path, chunks8, fault, message):
    class Faulty(Toy):
        def write_case(self, spec, writer, *, size, workers=1):
            a = toy_arrays(size, 1.0, "mask")
            if fault != "image":
                writer.put("image", a["image"])
            if fault != "labels":
                writer.put("labels", a["labels"])
            writer.put("mask", a["mask"][:, :-1] if fault == "shape" else a["mask"])
            if fault == "shape2":
                writer.put("brain", a["mask"][:-1])
            return {"simulator": "toy", "units": "a.u."} if fault == "attrs" else {
                "spacing": [1, 1], "axes": "yx", "simulator": "toy"}

    assert raises(store.build, Faulty(), tmp_path) == message
    assert not (tmp_path / f"{NAME}.zarr").exists() and not (tmp_path / f".{NAME}.lock").exists()
    assert "complete" not in zarr.open_group(str(tmp_path / f".{NAME}.zarr.partial"), mode="r")[B].attrs


def test_a_chunk_unreadable_right_after_writing_names_the_case(tmp_path, chunks8):
    class BadDisk(Toy):
        def write_case(self, spec, writer, *, size, workers=1):
            attrs = super().write_case(spec, writer, size=size, workers=workers)
            (tmp_path / f".{NAME}.zarr.partial" / spec.name / "labels" / "c" / "1" / "0").write_bytes(b"garbage")
            return attrs

    msg = raises(store.build, BadDisk(), tmp_path)
    assert msg.startswith(f"{NAME}/{B}/labels: chunk at [8:16, 0:8] cannot be read: ")
    assert not (tmp_path / f"{NAME}.zarr").exists()


def test_duplicate_case_names_are_refused_before_any_case(tmp_path, chunks8):
    class Twice(Toy):
        def plan(self, *, size, cases, seed):
            return [CaseSpec("a", "bright", 1, {"gain": 1.0}), CaseSpec("a", "dim", 2, {"gain": 1.0})]

    toy = Twice()
    assert raises(store.build, toy, tmp_path) == f"{NAME}: duplicate case names in plan: ('a', 'a')"
    assert toy.calls == [] and list(tmp_path.iterdir()) == []


def test_builder_attributes_override_the_stores_defaults(tmp_path, chunks8):
    class Own(Toy):
        def write_case(self, spec, writer, *, size, workers=1):
            attrs = super().write_case(spec, writer, size=size, workers=workers)
            return {**attrs, "parameters": {"gain": "own"}, "license": "own"}

    store.build(Own(), tmp_path, contrasts=["bright"])
    a = store.open_testset(NAME, tmp_path)[B].attrs
    assert a["parameters"] == {"gain": "own"} and a["license"] == "own" and a["domain"] == "toy"


# -- opening ------------------------------------------------------------------------------------


def test_open_gives_lazy_cases_with_the_written_values(built):
    root, path, _, _ = built
    ts = store.open_testset(NAME, root)
    assert isinstance(ts, store.TestSet) and ts.path == path and ts.name == NAME
    assert ts.card == TestSetCard.from_json(CARD)
    assert ts.manifest == json.loads((path / "manifest.json").read_text())
    assert len(ts) == 2 and [c.name for c in ts] == [B, D] and list(ts.cases) == [B, D]
    token = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    shas = expected_sha()
    for c, gain, second in ((B, 2.0, "mask"), (D, 0.5, "brain")):
        case = ts[c]
        assert case is ts.cases[c] and case.name == c
        want = toy_arrays(16, gain, second)
        for key in ("image", "labels", second):
            lazy = getattr(case, key)
            assert lazy.chunks == ((8, 8), (8, 8, 4)) and lazy.dtype == want[key].dtype
            assert lazy.name == f"{NAME}-{token}-{c}-{key}-{shas[c][key][:16]}"
            np.testing.assert_array_equal(lazy.compute(), want[key])
            assert lazy.compute().dtype == want[key].dtype
        assert (case.mask is None) == (second == "brain") and (case.brain is None) == (second == "mask")
        assert case.attrs == dict(zarr.open_group(str(path), mode="r")[c].attrs)
        assert case.contrast == c.split("-")[0] and case.spacing == (0.5, 0.25)
    assert raises(ts.__getitem__, "nope") == f"{NAME}: no case 'nope'; cases: {B}, {D}"


def test_dask_names_differ_between_copies_of_a_store(copy, built):
    a = store.open_testset(NAME, built[0])[B].image
    b = store.open_testset(NAME, copy[0])[B].image
    assert a.name != b.name and a.name == store.open_testset(NAME, built[0])[B].image.name
    assert a.name.startswith(f"{NAME}-") and b.name.endswith(f"-{B}-image-{expected_sha()[B]['image'][:16]}")


def test_checked_array_reads_and_names_the_array_on_a_read_error(copy):
    root, path = copy
    arr = zarr.open_array(str(path / B / "image"), mode="r")
    checked = store._CheckedArray(arr, "where/it/is")
    assert checked.shape == SHAPE and checked.dtype == np.dtype("float32") and checked.ndim == 2
    assert isinstance(checked.shape, tuple) and isinstance(checked.dtype, np.dtype)
    np.testing.assert_array_equal(checked[0:8, 8:16], toy_arrays(16, 2.0, "mask")["image"][0:8, 8:16])
    (path / B / "image" / "c" / "1" / "2").write_bytes(b"garbage")
    with pytest.raises(DatasetError) as info:
        checked[8:16, 16:20]
    exc = info.value.__cause__
    assert str(info.value) == (f"where/it/is: cannot read chunk(s) (slice(8, 16, None), slice(16, 20, None)): "
                               f"{type(exc).__name__}: {exc}; the store is corrupt, rebuild it "
                               f"(synthzoo datasets build --force)")
    # opened without chunk checks, the garbage is found by the decoder when read
    case = store.open_testset(NAME, root, check_chunks=False)[B]
    np.testing.assert_array_equal(case.image[:8].compute(), toy_arrays(16, 2.0, "mask")["image"][:8])
    with pytest.raises(DatasetError, match=f"^{NAME}/{B}/image: cannot read chunk"):
        case.image.sum().compute()
    # with them (the default), open refuses it: 7 bytes are not a Blosc frame
    assert raises(store.open_testset, NAME, root).startswith(f"{NAME}/{B}/image: chunk [8:16, 16:20] is damaged (")


def test_open_refuses_missing_and_partial_stores(tmp_path):
    assert raises(store.open_testset, NAME, tmp_path) == (
        f"test set {NAME!r} is not built under {tmp_path}; run `synthzoo datasets build {NAME}` "
        f"(or pass root=/--root)")
    assert raises(store.verify, NAME, tmp_path).startswith(f"test set {NAME!r} is not built under {tmp_path};")
    (tmp_path / f".{NAME}.zarr.partial").mkdir()
    assert raises(store.open_testset, NAME, tmp_path) == (
        f"test set {NAME!r} under {tmp_path} is only partly built; resume with `synthzoo datasets build {NAME}`")


def test_open_refuses_a_store_without_a_readable_manifest(copy):
    root, path = copy
    m = path / "manifest.json"
    m.write_text(json.dumps({"cases": []}))
    msg = raises(store.open_testset, NAME, root)
    assert msg.startswith(f"{m}: unreadable manifest (") and msg.endswith("); rebuild the store")
    m.write_text("{")
    msg = raises(store.open_testset, NAME, root)
    assert msg.startswith(f"{m}: unreadable manifest (Expecting property name") and msg.endswith("); rebuild the store")
    m.unlink()
    assert raises(store.open_testset, NAME, root) == f"{path}: no manifest.json; the store is incomplete, rebuild it"


def test_open_refuses_an_unreadable_incomplete_or_cardless_root(copy):
    root, path = copy
    meta = path / "zarr.json"
    good = meta.read_text()
    edit(meta, lambda d: d["attributes"].update(complete=False))
    assert raises(store.open_testset, NAME, root) == (
        f"{path}: store is not marked complete or has no card; rebuild it")
    meta.write_text(good)
    edit(meta, lambda d: d["attributes"].pop("card"))
    assert raises(store.open_testset, NAME, root) == (
        f"{path}: store is not marked complete or has no card; rebuild it")
    edit(meta, lambda d: d["attributes"].update(card={"name": NAME}))
    assert raises(store.open_testset, NAME, root).startswith(f"{path}: card lacks domain, dims")
    meta.write_text("{")
    assert raises(store.open_testset, NAME, root).startswith(f"{path}: not a readable Zarr group: ")


def test_open_refuses_a_changed_card_or_case_attribute(copy):
    root, path = copy
    meta = path / "zarr.json"
    good = meta.read_text()
    edit(meta, lambda d: d["attributes"]["card"].update(label_names=["a"], zzz=1))
    assert raises(store.open_testset, NAME, root) == (
        f"{NAME}/card: field 'label_names' does not match the manifest (now [\"a\"]); the store was changed after "
        f"it was built: run `synthzoo datasets verify {NAME}` for every problem, or rebuild it (--force)")
    meta.write_text(good)
    edit(path / D / "zarr.json", lambda d: d["attributes"].update(spacing=[1, 1]))
    assert raises(store.open_testset, NAME, root).startswith(
        f"{NAME}/{D}: attribute 'spacing' does not match the manifest (now [1, 1]); the store was changed")
    edit(path / "manifest.json", lambda d: d.pop("metadata"))  # an older store: not compared
    assert store.open_testset(NAME, root)[D].spacing == (1.0, 1.0)
    edit(meta, lambda d: d["attributes"]["card"].update(label_names=["a"]))
    assert store.open_testset(NAME, root).card.label_names == ("a",)


def test_open_refuses_missing_or_unreadable_case_groups_and_attributes(copy):
    root, path = copy
    edit(path / D / "zarr.json", lambda d: [d["attributes"].pop(k) for k in ("spacing", "license")])
    assert raises(store.open_testset, NAME, root) == (
        f"{NAME}/{D}: case attributes missing: spacing, license (required: {', '.join(REQUIRED_ATTRS)})")
    (path / D / "zarr.json").write_text("]")
    msg = raises(store.open_testset, NAME, root)
    assert msg.startswith(f"{NAME}/{D}: case group unreadable: ") and msg.endswith("; rebuild the store (--force)")
    shutil.rmtree(path / D)
    assert raises(store.open_testset, NAME, root) == f"{NAME}/{D}: case group missing from {path}"


def test_open_refuses_missing_unlisted_or_unreadable_arrays(copy):
    root, path = copy
    mpath = path / "manifest.json"
    good = mpath.read_text()
    edit(mpath, lambda d: d["cases"][D].pop("brain"))  # an optional array may be left out
    assert store.open_testset(NAME, root)[D].brain is None
    for key in ("image", "labels"):
        mpath.write_text(good)
        edit(mpath, lambda d: d["cases"][D].pop(key))
        assert raises(store.open_testset, NAME, root) == f"{NAME}/{D}: manifest lists no {key!r} array"
    mpath.write_text(good)
    (path / B / "labels" / "zarr.json").write_text("{not json")
    msg = raises(store.open_testset, NAME, root)
    assert msg.startswith(f"{NAME}/{B}/labels: array metadata (zarr.json) unreadable: ")
    assert msg.endswith("; rebuild the store (--force)") and "\n" not in msg
    shutil.rmtree(path / B / "labels")
    assert raises(store.open_testset, NAME, root) == f"{NAME}/{B}: array 'labels' missing"


def test_open_refuses_shapes_dtypes_and_dimensions_other_than_the_manifests(copy):
    root, path = copy
    mpath = path / "manifest.json"
    good = mpath.read_text()
    edit(mpath, lambda d: d["cases"][B]["mask"].update(shape=[16, 21]))
    assert raises(store.open_testset, NAME, root) == (
        f"{NAME}/{B}/mask: shape (16, 20) uint8, but the manifest says (16, 21) uint8")
    mpath.write_text(good)
    edit(mpath, lambda d: d["cases"][B]["image"].update(dtype="uint8"))
    assert raises(store.open_testset, NAME, root) == (
        f"{NAME}/{B}/image: shape (16, 20) float32, but the manifest says (16, 20) uint8")


def _replace(path: Path, case: str, key: str, shape, dtype: str = "uint8") -> None:
    """Write array ``key`` of ``case`` anew with ``shape`` and list that shape in the manifest."""
    zarr.create_array(str(path / case / key), shape=shape, dtype=dtype, chunks=CHUNKS[: len(shape)], fill_value=0,
                      overwrite=True, config={"write_empty_chunks": True})[...] = 1
    edit(path / "manifest.json", lambda d: d["cases"][case][key].update(shape=list(shape)))


@pytest.mark.parametrize("case,key,message", [
    (B, "labels", f"{NAME}/{B}: image (16, 20) and labels (16, 16) differ in shape"),
    (B, "mask", f"{NAME}/{B}: mask (16, 16) and image (16, 20) differ in shape"),
    (D, "brain", f"{NAME}/{D}: brain (16, 16) and image (16, 20) differ in shape"),
])
def test_open_refuses_arrays_of_a_case_that_differ_in_shape(copy, case, key, message):
    root, path = copy
    _replace(path, case, key, (16, 16))
    assert raises(store.open_testset, NAME, root) == message


def test_open_refuses_arrays_of_other_dimensions_than_the_card(copy):
    root, path = copy
    zarr.create_array(str(path / B / "image"), shape=(16, 20, 2), dtype="float32", chunks=(8, 8, 2), fill_value=0,
                      overwrite=True, config={"write_empty_chunks": True})[...] = 1
    edit(path / "manifest.json", lambda d: d["cases"][B]["image"].update(shape=[16, 20, 2]))
    assert raises(store.open_testset, NAME, root) == f"{NAME}/{B}/image: 3-D array in a 2-D test set"


def test_open_finds_a_missing_chunk_file_unless_told_not_to_look(copy):
    root, path = copy
    f = path / D / "labels" / "c" / "1" / "2"
    f.unlink()
    assert raises(store.open_testset, NAME, root) == f"{NAME}/{D}/labels: chunk [8:16, 16:20] is missing ({f})"
    lazy = store.open_testset(NAME, root, check_chunks=False)[D].labels
    want = toy_arrays(16, 0.5, "brain")["labels"]
    want[8:16, 16:20] = 0  # a missing chunk reads as the fill value
    np.testing.assert_array_equal(lazy.compute(), want)
    assert store._chunk_file(path / D / "labels", zarr.open_array(str(path / D / "labels"), mode="r"),
                             (slice(8, 16), slice(16, 20))) == f
    assert store._chunk_file(Path("p"), SimpleNamespace(chunks=(4, 8)), (slice(12, 16), slice(0, 8))) == Path("p/c/3/0")


# -- verifying ----------------------------------------------------------------------------------


def test_verify_a_whole_store(built):
    root, path, _, _ = built
    rows = [{"case": c, "array": k, "ok": True} for c, ks in ((B, ("image", "labels", "mask")),
                                                               (D, ("image", "labels", "brain"))) for k in ks]
    assert store.verify(NAME, root) == {"name": NAME, "path": str(path), "ok": True, "arrays": rows, "problems": []}


def _bad(rep) -> dict:
    return {(r["case"], r["array"]): r["error"] for r in rep["arrays"] if not r["ok"]}


def test_verify_reports_each_damaged_array(copy):
    root, path = copy
    shas = expected_sha()
    (path / B / "labels" / "c" / "0" / "1").unlink()
    (path / B / "labels" / "c" / "1" / "2").unlink()
    (path / B / "mask" / "zarr.json").write_text("{\n not json")
    shutil.rmtree(path / D / "brain")
    arr = zarr.open_array(str(path / D / "image"), mode="a")
    arr[15, 19] = 7.0  # the last voxel of the last chunk
    data = arr[...]
    (path / D / "labels" / "c" / "0" / "0").write_bytes(b"garbage")
    rep = store.verify(NAME, root)
    bad = _bad(rep)
    assert not rep["ok"] and rep["problems"] == [] and [r["ok"] for r in rep["arrays"]] == [True] + [False] * 5
    assert bad[(B, "labels")] == f"{NAME}/{B}/labels: 2 chunk file(s) missing, first at [0:8, 8:16]"
    assert bad[(B, "mask")].startswith(f"{NAME}/{B}/mask: array metadata (zarr.json) unreadable: ")
    assert "\n" not in bad[(B, "mask")]
    assert bad[(D, "brain")] == f"{NAME}/{D}/brain: array missing"
    assert bad[(D, "image")] == (f"{NAME}/{D}/image: checksum mismatch: sha256 {chunk_sha(data)[:16]}..., "
                                 f"manifest {shas[D]['image'][:16]}...")
    assert bad[(D, "labels")].startswith(f"{NAME}/{D}/labels: chunk at [0:8, 0:8] cannot be read: ")


def test_verify_reports_shape_and_dtype_against_the_manifest(copy):
    root, path = copy
    def change(d):
        d["cases"][B]["image"]["dtype"] = "uint8"
        d["cases"][B]["labels"]["shape"] = [16, 21]
        d["cases"][D]["labels"] = "not a dict"
        d["cases"][D]["brain"].pop("sha256")
    edit(path / "manifest.json", change)
    bad = _bad(store.verify(NAME, root))
    assert bad == {(B, "image"): f"{NAME}/{B}/image: shape (16, 20) float32, but the manifest says (16, 20) uint8",
                   (B, "labels"): f"{NAME}/{B}/labels: shape (16, 20) uint8, but the manifest says (16, 21) uint8",
                   (D, "labels"): f"{NAME}/{D}/labels: shape (16, 20) uint8, but the manifest says () None",
                   (D, "brain"): f"{NAME}/{D}/brain: checksum mismatch: sha256 {expected_sha()[D]['brain'][:16]}..., "
                                 f"manifest None..."}


def test_verify_array_rows_that_cannot_be_checked(copy, monkeypatch):
    root, path = copy
    g = zarr.open_group(str(path), mode="r")[B]
    info = {"shape": list(SHAPE), "dtype": "float32", "sha256": expected_sha()[B]["image"]}
    assert store._verify_array(NAME, path, g, B, "image", info) == {"case": B, "array": "image", "ok": True}
    assert store._verify_array(NAME, path, None, B, "image", info) == {
        "case": B, "array": "image", "ok": False, "error": f"{NAME}/{B}/image: not checked: case group missing"}
    assert store._verify_array(NAME, path, None, B, "image", info, "why")["error"] == f"{NAME}/{B}/image: not checked: why"

    def broken(arr, *, where=""):
        raise RuntimeError("disk\n  gone")

    monkeypatch.setattr(store, "array_sha256", broken)
    assert store._verify_array(NAME, path, g, B, "image", info) == {
        "case": B, "array": "image", "ok": False, "error": f"{NAME}/{B}/image: cannot be checked: RuntimeError: disk gone"}

    def damaged(arr, *, where=""):
        raise DatasetError(f"{where}: chunk\n  bad")

    monkeypatch.setattr(store, "array_sha256", damaged)
    assert store._verify_array(NAME, path, g, B, "image", info)["error"] == f"{NAME}/{B}/image: chunk bad"


def test_verify_reports_changed_metadata_field_by_field(copy):
    root, path = copy
    def card(d):
        d["attributes"]["card"]["label_names"] = ["a"]
        d["attributes"]["build"]["seed"] = 9
    edit(path / "zarr.json", card)
    def case(d):
        a = d["attributes"]
        a.pop("spacing")
        a.pop("license")
        a.pop("units")
        a["axes"] = "xy"
        a["note"] = "added"
    edit(path / B / "zarr.json", case)
    rep = store.verify(NAME, root)
    assert rep["ok"] is False and all(r["ok"] for r in rep["arrays"])
    assert rep["problems"] == [
        f"{NAME}/card: field 'label_names' does not match the manifest (now [\"a\"])",
        f"{NAME}: build settings do not match the manifest (now "
        f"{{\"cases\": 1, \"contrasts\": [\"bright\", \"dim\"], \"format\": 1,...)",
        f"{NAME}/{B}: case attributes missing: spacing, license",
        f"{NAME}/{B}: attribute 'axes' does not match the manifest (now \"xy\")",
        f"{NAME}/{B}: attribute 'note' is not in the manifest (added: \"added\")",
        f"{NAME}/{B}: attribute 'units' is missing (the manifest lists it)",
    ]


def test_verify_reports_the_root_group_card_and_completeness(copy, monkeypatch):
    root, path = copy
    meta = path / "zarr.json"
    good = meta.read_text()
    edit(meta, lambda d: d["attributes"].update(complete=False))
    assert store.verify(NAME, root)["problems"] == [f"{NAME}: store is not marked complete"]
    meta.write_text(good)
    edit(meta, lambda d: d["attributes"].update(card=5))
    lacks = ", ".join(f.name for f in dataclasses.fields(TestSetCard) if f.name not in ("cases", "references"))
    every_field_missing = [f"{NAME}/card: field {k!r} is missing (the manifest lists it)" for k in sorted(CARD)]
    assert store.verify(NAME, root)["problems"] == [f"{NAME}/card: card lacks {lacks}", *every_field_missing]
    assert raises(store.open_testset, NAME, root) == f"{path}: store is not marked complete or has no card; rebuild it"
    edit(meta, lambda d: d["attributes"].pop("card"))
    assert store.verify(NAME, root)["problems"] == [f"{NAME}/card: card lacks {lacks}", *every_field_missing]
    meta.write_text(good)

    def boom(d, *, where):
        raise RuntimeError("bad\ncard")

    monkeypatch.setattr(store.TestSetCard, "from_json", boom)
    assert store.verify(NAME, root)["problems"] == [f"{NAME}/card: unreadable: RuntimeError: bad card"]
    monkeypatch.undo()
    meta.write_text("{")
    rep = store.verify(NAME, root)
    assert rep["ok"] is False and len(rep["problems"]) == 1
    assert rep["problems"][0].startswith(f"{path}: not a readable Zarr group: ")
    assert [r["error"] for r in rep["arrays"]] == [
        f"{NAME}/{c}/{k}: not checked: the store's root group is unreadable"
        for c, ks in ((B, ("image", "labels", "mask")), (D, ("image", "labels", "brain"))) for k in ks]


def test_verify_without_a_readable_manifest(copy):
    root, path = copy
    m = path / "manifest.json"
    m.write_text("[1, 2")
    rep = store.verify(NAME, root)
    assert rep == {"name": NAME, "path": str(path), "ok": False, "arrays": [], "problems": rep["problems"]}
    assert len(rep["problems"]) == 1 and rep["problems"][0].startswith(f"{m}: unreadable manifest (")
    assert "\n" not in rep["problems"][0] and "  " not in rep["problems"][0]
    m.write_text(json.dumps({"cases": {}}, indent=4))
    rep = store.verify(NAME, root)
    assert rep["arrays"] == [] and rep["problems"] == [
        f"{NAME}: the manifest has no metadata checksums (built by an older synthzoo), so the card and case "
        f"attributes cannot be verified; rebuild with --force",
        f"{NAME}/{B}: case group not in the manifest", f"{NAME}/{D}: case group not in the manifest"]
    m.unlink()
    assert store.verify(NAME, root) == {"name": NAME, "path": str(path), "ok": False, "arrays": [], "problems": [
        f"{path}: no manifest.json; the store is incomplete, rebuild it"]}


def test_verify_an_older_manifest_checks_the_arrays_only(copy):
    root, path = copy
    edit(path / "manifest.json", lambda d: d.pop("metadata"))
    edit(path / B / "zarr.json", lambda d: d["attributes"].update(axes="xy"))
    rep = store.verify(NAME, root)
    assert rep["problems"] == [
        f"{NAME}: the manifest has no metadata checksums (built by an older synthzoo), so the card and case "
        f"attributes cannot be verified; rebuild with --force"]
    assert rep["ok"] is False and len(rep["arrays"]) == 6 and all(r["ok"] for r in rep["arrays"])


def test_verify_reports_case_groups_missing_unreadable_unlisted_or_without_checksums(copy):
    root, path = copy
    shutil.rmtree(path / D)
    rep = store.verify(NAME, root)
    assert rep["problems"] == [f"{NAME}/{D}: case group missing from {path}"]
    assert _bad(rep) == {(D, k): f"{NAME}/{D}/{k}: not checked: case group missing" for k in ("image", "labels", "brain")}
    (path / B / "zarr.json").write_text("]")
    rep = store.verify(NAME, root)
    assert rep["problems"][0].startswith(f"{NAME}/{B}: case group unreadable: ")
    assert _bad(rep)[(B, "mask")] == f"{NAME}/{B}/mask: not checked: case group unreadable"


def test_verify_reports_cases_the_manifest_lists_badly_or_not_at_all(copy, built):
    root, path = copy
    shutil.copytree(path / B, path / "stray-001")
    shutil.copytree(path / B, path / "stray-000")
    (path / "notes").mkdir()  # not a Zarr group: not a case
    def change(d):
        d["cases"][B].pop("labels")
        d["cases"][D].pop("brain")  # image and labels only: fine
        d["metadata"]["cases"].pop(D)
    edit(path / "manifest.json", change)
    rep = store.verify(NAME, root)
    assert rep["problems"] == [f"{NAME}/{B}: the manifest lists no image and labels arrays",
                               f"{NAME}/{D}: the manifest has no metadata checksums for this case",
                               f"{NAME}/stray-000: case group not in the manifest",
                               f"{NAME}/stray-001: case group not in the manifest"]
    assert rep["arrays"] == [{"case": D, "array": k, "ok": True} for k in ("image", "labels")]
    edit(path / "manifest.json", lambda d: d["cases"].update({B: ["image", "labels"]}))
    assert store.verify(NAME, root)["problems"][0] == f"{NAME}/{B}: the manifest lists no image and labels arrays"


def test_verify_reports_a_root_folder_it_cannot_list(copy, monkeypatch):
    root, path = copy
    real = Path.iterdir

    def iterdir(self):
        if self == path:
            raise PermissionError("denied\n here")
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    rep = store.verify(NAME, root)
    assert rep["problems"] == [f"{path}: cannot list the case groups: PermissionError: denied here"]
    assert rep["ok"] is False and all(r["ok"] for r in rep["arrays"])
