import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import synthzoo
from synthzoo.benchmarks import records as rec
from synthzoo.benchmarks.records import RecordError, RecordStore


def row(key="run-a", label="background", i=0, **kw):
    r = {"schema_version": 2, "run_key": key, "model": "multi-otsu", "model_kind": "classical",
         "model_version": "1", "trained_contrast": None, "testset": "fluorescence-nuclei",
         "testset_domain": "fluorescence", "testset_size": 48, "testset_seed": 0, "case": key,
         "case_seed": 1, "contrast": "widefield", "label": label, "label_index": i,
         "foreground": label != "background", "dice": 0.5, "volume_similarity": 0.9, "hd95": 1.5, "assd": 0.5, "object_f1": None, "n_truth": 10,
         "n_pred": 12, "calibration": "rule", "synthzoo_version": "0.1.0", "git_commit": "abc",
         "git_dirty": False, "weights_sha256": None, "testset_sha256": "a" * 64, "case_sha256": "b" * 64,
         "device": "cpu", "seed": 0, "time": "2026-01-01T00:00:00+00:00", "seconds": 0.1}
    r.update(kw)
    return r


def run_rows(key):
    return [row(key), row(key, "nucleus", 1)]


def test_schema_and_row_checks():
    s = rec.json_schema()
    assert s["required"] == list(rec.FIELD_NAMES) and s["properties"]["dice"]["maximum"] == 1.0
    assert rec.check_row(row()) is None
    assert rec.check_row(row(dice=1.3)) == "dice 1.3 is outside [0, 1]"
    assert rec.check_row(row(schema_version=0)) == "schema_version 0 is not supported; valid: 2"
    assert rec.check_row({k: v for k, v in row().items() if k != "device"}) == "missing field(s) device"
    assert rec.check_row(row(synthzoo_version="")) == "synthzoo_version is empty"
    assert rec.check_row(row(model_kind="zoo")) == "weights_sha256 is null; it is required for zoo models"
    assert rec.check_row(row(testset_sha256="xyz")).startswith("testset_sha256 'xyz' is not a lowercase hex sha256")
    assert rec.check_row(row(model_kind="deep")) == "model_kind 'deep' is not valid; valid: zoo, narrow, classical"
    assert rec.check_row(row(n_truth=True)) == "n_truth True is not a integer"
    assert "unknown field(s) extra" in rec.check_row(row(extra=1))


def test_store_appends_marks_and_skips(tmp_path):
    with RecordStore(tmp_path) as store:
        store.add_run("run-a", run_rows("run-a"))
        assert store.is_done("run-a")
        with pytest.raises(RecordError, match="already done"):
            store.add_run("run-a", run_rows("run-a"))
        with pytest.raises(RecordError, match=r"run run-b row 1: dice 2 is outside \[0, 1\]"):
            store.add_run("run-b", [row("run-b"), row("run-b", "nucleus", 1, dice=2)])
    text = (tmp_path / "records.jsonl").read_bytes()
    marker = json.loads((tmp_path / "done" / "run-a.done").read_text())
    assert marker == {"schema_version": 2, "run_key": "run-a", "records": 2,
                      "sha256": rec.lines_sha256([text.splitlines(keepends=True)[0], text.splitlines(keepends=True)[1]])}
    assert rec.read(tmp_path / "records.jsonl") == run_rows("run-a")
    with RecordStore(tmp_path) as store:
        assert store.is_done("run-a") and store.reconciled.dropped_runs == ()


def test_a_done_case_is_found_by_its_identity_whatever_its_run_key(tmp_path):
    """Rows written under a run key of an earlier version (without the case's hash) still make
    that (model version, test set build, case, case content) done; another case content not."""
    ident = {"model": "multi-otsu", "model_version": "1", "testset": "fluorescence-nuclei",
             "testset_size": 48, "testset_seed": 0, "case": "legacy-key", "case_sha256": "b" * 64}
    with RecordStore(tmp_path) as store:
        assert not store.has_case(ident)
        store.add_run("legacy-key", run_rows("legacy-key"))
    with RecordStore(tmp_path) as store:
        assert store.has_case(ident)
        assert not store.has_case({**ident, "case_sha256": "c" * 64}) and not store.has_case({**ident, "case": "other"})


def test_lock_refuses_a_second_writer(tmp_path):
    with RecordStore(tmp_path):
        with pytest.raises(RecordError, match=rf"{tmp_path} is in use by another benchmark run \(pid {os.getpid()}\); "
                                              "wait for it to finish or use another --out"):
            RecordStore(tmp_path).lock()
    with RecordStore(tmp_path):  # released on exit
        pass


def test_reconcile_recomputes_runs_that_do_not_match_their_marker(tmp_path):
    with RecordStore(tmp_path) as store:
        for k in ("run-a", "run-b", "run-c"):
            store.add_run(k, run_rows(k))
    path = tmp_path / "records.jsonl"
    data = path.read_bytes()
    # a truncated last line of a finished run, plus an unmarked run's rows, plus a tampered row
    lines = data.splitlines(keepends=True)
    lines[2] = lines[2].replace(b'"dice": 0.5', b'"dice": 0.6')  # run-b, first row
    path.write_bytes(b"".join(lines)[:-20])
    with RecordStore(tmp_path) as store:
        r = store.reconciled
        assert store.is_done("run-a") and not store.is_done("run-b") and not store.is_done("run-c")
        assert r.partial_line == 6 and r.kept == 2 and r.dropped_rows == 3
        assert dict(r.dropped_runs) == {
            "run-b": "rows differ from those its done marker recorded (sha256)",
            "run-c": "1 row(s) in the file, 2 in its done marker"}
        assert r.notes(store.path)[0] == f"{store.path}:6: incomplete last line (a cut-off write) dropped"
        assert sorted(p.name for p in store.done.iterdir()) == ["run-a.done"]
        store.add_run("run-b", run_rows("run-b"))
        store.add_run("run-b2", run_rows("run-b2"))
    rows = rec.read(path)
    assert [r["run_key"] for r in rows] == ["run-a"] * 2 + ["run-b"] * 2 + ["run-b2"] * 2


def test_rows_written_twice_are_dropped_and_recomputed(tmp_path):
    with RecordStore(tmp_path) as store:
        store.add_run("run-a", run_rows("run-a"))
    rec.append(tmp_path / "records.jsonl", run_rows("run-a"))  # e.g. two files concatenated
    with pytest.raises(RecordError, match=r"records.jsonl:3: duplicate row \(same model, .* as line 1\)"):
        rec.read(tmp_path / "records.jsonl")
    with RecordStore(tmp_path) as store:
        assert store.reconciled.dropped_runs == (("run-a", "4 row(s) in the file, 2 in its done marker"),)
        store.add_run("run-a", run_rows("run-a"))
    assert rec.read(tmp_path / "records.jsonl") == run_rows("run-a")


def test_unreadable_lines_are_reported_by_number_never_dropped(tmp_path):
    with RecordStore(tmp_path) as store:
        store.add_run("run-a", run_rows("run-a"))
    path = tmp_path / "records.jsonl"
    good = path.read_bytes()
    path.write_bytes(good[:10] + b"\n" + good + b"\xff\xfe\x00junk\n[1, 2]\n")
    with pytest.raises(RecordError) as err:
        RecordStore(tmp_path).__enter__()
    msg = str(err.value)
    assert msg == (f"{path}: 3 unreadable line(s): line 1: not JSON: Invalid control character at (column 11); "
                   "line 4: not UTF-8 text; line 5: not a JSON object (list); each line must be one JSON record: "
                   "repair or remove them")
    assert path.read_bytes() == good[:10] + b"\n" + good + b"\xff\xfe\x00junk\n[1, 2]\n"  # untouched
    store = RecordStore(tmp_path)
    store.lock()  # the lock was released after the error
    store.unlock()


def test_frame_columns_and_types(tmp_path):
    df = rec.frame(run_rows("a") + [row("b", dice=None)])
    assert list(df.columns) == list(rec.FIELD_NAMES) and df["dice"].isna().sum() == 1
    assert str(df["dice"].dtype) == "float64"
    assert rec.frame([]).columns.tolist() == list(rec.FIELD_NAMES)


# -- SIGKILL at several points, then restart: same records as an uninterrupted run --------------

DRIVER = textwrap.dedent("""
    import os, signal, sys
    from synthzoo.benchmarks import records as rec
    from synthzoo.benchmarks.runner import run
    where, n = sys.argv[3], int(sys.argv[4])
    calls = []

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    real_append, real_mark = rec.append, rec.mark_done
    def append(path, rows):
        calls.append(1)
        if where == "mid-append" and len(calls) == n:
            data = b"".join(rec.encode(r) for r in rows)
            with open(path, "ab") as f:
                f.write(data[: len(data) // 2 + 7]); f.flush(); os.fsync(f.fileno())
            die()
        return real_append(path, rows)
    def mark_done(done, key, lines):
        if where == "before-marker" and len(calls) == n:
            die()
        out = real_mark(done, key, lines)
        if where == "after-marker" and len(calls) == n:
            die()
        return out
    rec.append, rec.mark_done = append, mark_done
    s = run(["multi-otsu", "kmeans"], ["fluorescence-nuclei"], sys.argv[1], sys.argv[2], quick=True,
            progress=False)
    print(s["new"], s["skipped"], s["dropped_unfinished_records"], s["recomputed_runs"])
""")


def test_sigkill_at_several_points_then_restart_gives_the_same_records(tmp_path):
    from synthzoo.benchmarks.runner import run

    root = tmp_path / "testsets"
    ref = run(["multi-otsu", "kmeans"], ["fluorescence-nuclei"], root, tmp_path / "ref", quick=True, progress=False)
    assert ref["new"] == 6
    expected = rec.without_timing(rec.read(tmp_path / "ref" / "records.jsonl"))
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(Path(synthzoo.__file__).parents[1]), "OMP_NUM_THREADS": "1"}

    def go(where, n):
        return subprocess.run([sys.executable, "-c", DRIVER, str(root), str(out), where, str(n)],
                              env=env, capture_output=True, text=True, timeout=300)

    # run 2 cut mid-append; restart: run 1 of the restart dies before its marker; then after a marker
    for where, n in (("mid-append", 2), ("before-marker", 1), ("after-marker", 2)):
        p = go(where, n)
        assert p.returncode == -signal.SIGKILL, (where, p.stdout, p.stderr)
    lines = (out / "records.jsonl").read_bytes()
    assert lines.endswith(b"\n") and len(list((out / "done").glob("*.done"))) == 3
    p = go("none", 0)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["3", "3", "0", "0"]  # 3 new, 3 done, nothing left to drop
    got = rec.without_timing(rec.read(out / "records.jsonl"))
    assert got == expected
    # a finished run whose last line is truncated is recomputed, to the same rows
    data = (out / "records.jsonl").read_bytes()
    (out / "records.jsonl").write_bytes(data[:-30])
    p = go("none", 0)
    assert p.returncode == 0 and p.stdout.split() == ["1", "5", "1", "1"], p.stdout + p.stderr
    assert rec.without_timing(rec.read(out / "records.jsonl")) == expected


def test_records_of_schema_version_1_are_recomputed(tmp_path):
    """A results folder written before hd95/assd/object_f1 existed: its runs are dropped (and
    so recomputed by the runner); nothing of it is read as a current record."""
    old = [{k: v for k, v in r.items() if k not in ("hd95", "assd", "object_f1")} | {"schema_version": 1}
           for r in run_rows("run-old")]
    lines = [json.dumps(r).encode() + b"\n" for r in old]
    (tmp_path / "records.jsonl").write_bytes(b"".join(lines))
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "run-old.done").write_text(json.dumps(
        {"schema_version": 1, "run_key": "run-old", "records": 2, "sha256": rec.lines_sha256(lines)}))
    with pytest.raises(RecordError, match="records.jsonl:1: schema_version 1 is not supported; valid: 2"):
        rec.read(tmp_path / "records.jsonl")
    with RecordStore(tmp_path) as store:
        assert not store.is_done("run-old")
        assert store.reconciled.dropped_runs == (("run-old", "done marker of another schema version (1)"),)
        assert store.reconciled.dropped_rows == 2 and (tmp_path / "records.jsonl").read_bytes() == b""
        store.add_run("run-old", run_rows("run-old"))
    assert rec.read(tmp_path / "records.jsonl") == run_rows("run-old")
