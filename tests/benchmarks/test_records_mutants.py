"""The record format (synthzoo.benchmarks.records) against its specification, field by field
and branch by branch: the published JSON Schema, what ``check_row`` accepts and refuses and
what it says, line scanning, reading, reconciling and the store's lock.  Written against the
surviving mutants of scripts/mutation.sh; the expected schema below is written out from
docs/leaderboard.md, not derived from the module."""

from __future__ import annotations

import hashlib
import json
import math
import os

import pytest

from synthzoo.benchmarks import records as rec
from synthzoo.benchmarks.records import RecordError, RecordStore

H = "0123456789abcdef" * 4
# name: (JSON type, nullable, a valid value, constraints)
SPEC = {
    "schema_version": ("integer", False, 2, {"enum": [2]}),
    "run_key": ("string", False, "run-a", {"minLength": 1}),
    "model": ("string", False, "multi-otsu", {"minLength": 1}),
    "model_kind": ("string", False, "classical", {"enum": ["zoo", "narrow", "classical"]}),
    "model_version": ("string", False, "1", {"minLength": 1}),
    "trained_contrast": ("string", True, None, {"minLength": 1}),
    "testset": ("string", False, "fluorescence-nuclei", {"minLength": 1}),
    "testset_domain": ("string", False, "fluorescence", {"minLength": 1}),
    "testset_size": ("integer", False, 48, {"minimum": 1}),
    "testset_seed": ("integer", False, 0, {}),
    "case": ("string", False, "case-000", {"minLength": 1}),
    "case_seed": ("integer", True, 1, {}),
    "contrast": ("string", False, "widefield", {"minLength": 1}),
    "label": ("string", False, "nucleus", {"minLength": 1}),
    "label_index": ("integer", False, 1, {"minimum": 0}),
    "foreground": ("boolean", False, True, {}),
    "dice": ("number", True, 0.5, {"minimum": 0.0, "maximum": 1.0}),
    "volume_similarity": ("number", True, 0.9, {"minimum": 0.0, "maximum": 1.0}),
    "hd95": ("number", True, 1.5, {"minimum": 0.0}),
    "assd": ("number", True, 0.5, {"minimum": 0.0}),
    "object_f1": ("number", True, 0.75, {"minimum": 0.0, "maximum": 1.0}),
    "n_truth": ("integer", False, 10, {"minimum": 0}),
    "n_pred": ("integer", False, 12, {"minimum": 0}),
    "calibration": ("string", True, "rule", {"minLength": 1}),
    "synthzoo_version": ("string", False, "0.1.0", {"minLength": 1}),
    "git_commit": ("string", True, "abc", {"minLength": 1}),
    "git_dirty": ("boolean", True, False, {}),
    "weights_sha256": ("string", True, None, {"pattern": "^[0-9a-f]{64}$"}),
    "testset_sha256": ("string", False, H, {"pattern": "^[0-9a-f]{64}$"}),
    "case_sha256": ("string", False, H, {"pattern": "^[0-9a-f]{64}$"}),
    "device": ("string", False, "cpu", {"minLength": 1}),
    "seed": ("integer", False, 0, {}),
    "time": ("string", False, "2026-01-01T00:00:00+00:00", {"minLength": 1}),
    "seconds": ("number", False, 0.25, {"minimum": 0.0}),
}
WRONG = {"string": 3, "integer": 1.5, "number": "1", "boolean": 1}


def good(**kw):
    r = {k: v[2] for k, v in SPEC.items()}
    r.update(kw)
    return r


def lines_of(*rows):
    return [rec.encode(r) for r in rows]


def test_the_json_schema_is_the_documented_one():
    s = rec.json_schema()
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["$id"] == "synthzoo-record-v2" and s["title"] == "synthzoo benchmark record, schema version 2"
    assert s["type"] == "object" and s["additionalProperties"] is False
    assert s["required"] == list(SPEC) and list(s["properties"]) == list(SPEC)
    for name, (typ, nullable, _, extra) in SPEC.items():
        p = dict(s["properties"][name])
        assert p.pop("description"), name
        want = {"type": [typ, "null"] if nullable else typ, **extra}
        if "enum" in want and nullable:
            want["enum"] = want["enum"] + [None]
        assert p == want, name
    assert s["allOf"] == [{"if": {"properties": {"model_kind": {"enum": ["zoo", "narrow"]}}},
                           "then": {"properties": {"weights_sha256": {"type": "string"}}}}]
    assert rec.FIELD_NAMES == tuple(SPEC)


def test_every_field_null_wrong_type_and_empty():
    assert rec.check_row(good()) is None
    for name, (typ, nullable, _, extra) in SPEC.items():
        if name == "schema_version":  # checked first, see test_enums_patterns_and_the_zoo_weights_rule
            continue
        if nullable:
            assert rec.check_row(good(**{name: None})) is None, name
        else:
            assert rec.check_row(good(**{name: None})) == f"{name} is null; it must be a {typ}"
        bad = WRONG[typ]
        assert rec.check_row(good(**{name: bad})) == f"{name} {bad!r} is not a {typ}", name
        if typ == "string" and "enum" not in extra:  # nullable ones too: null, not ""
            assert rec.check_row(good(**{name: ""})) == f"{name} is empty", name
    # bools are not numbers; integers are numbers
    assert rec.check_row(good(seconds=True)) == "seconds True is not a number"
    assert rec.check_row(good(dice=1, hd95=0)) is None


def test_numbers_must_be_finite_and_within_their_bounds():
    for v in (math.inf, -math.inf, math.nan):
        assert rec.check_row(good(hd95=v)) == f"hd95 {v!r} is not a finite number"
    for name in ("dice", "volume_similarity", "object_f1"):
        assert rec.check_row(good(**{name: 0.0})) is None and rec.check_row(good(**{name: 1.0})) is None
        assert rec.check_row(good(**{name: 1.01})) == f"{name} 1.01 is outside [0, 1]"
        assert rec.check_row(good(**{name: -0.01})) == f"{name} -0.01 is outside [0, 1]"
    for name in ("hd95", "assd", "seconds"):
        assert rec.check_row(good(**{name: 0.0})) is None
        assert rec.check_row(good(**{name: -0.5})) == f"{name} -0.5 is outside >= 0"
    assert rec.check_row(good(testset_size=1)) is None
    assert rec.check_row(good(testset_size=0)) == "testset_size 0 is outside >= 1"
    assert rec.check_row(good(label_index=0, n_truth=0, n_pred=0)) is None
    for name in ("label_index", "n_truth", "n_pred"):
        assert rec.check_row(good(**{name: -1})) == f"{name} -1 is outside >= 0"
    assert rec.check_row(good(seed=-3, testset_seed=-1, case_seed=-2)) is None  # no bounds


def test_enums_patterns_and_the_zoo_weights_rule():
    for kind in ("zoo", "narrow"):
        assert rec.check_row(good(model_kind=kind)) == f"weights_sha256 is null; it is required for {kind} models"
        assert rec.check_row(good(model_kind=kind, weights_sha256=H)) is None
    assert rec.check_row(good(model_kind="")) == "model_kind '' is not valid; valid: zoo, narrow, classical"
    assert rec.check_row(good(schema_version=3)) == "schema_version 3 is not supported; valid: 2"
    assert rec.check_row(good(schema_version=None)) == "schema_version None is not supported; valid: 2"
    assert rec.check_row(good(schema_version="2")) == "schema_version '2' is not supported; valid: 2"
    for name in ("weights_sha256", "testset_sha256", "case_sha256"):
        for bad in (H.upper(), H[:-1], H + "0", "g" + H[1:], H + "\n"):  # as the JSON Schema's pattern
            assert rec.check_row(good(**{name: bad})) == (
                f"{name} {bad!r} is not a lowercase hex sha256 (64 characters)"), (name, bad)


def test_shape_of_a_row():
    assert rec.check_row([good()]) == "a record must be a JSON object, got list"
    assert rec.check_row({"schema_version": 2}) == f"missing field(s) {', '.join(list(SPEC)[1:])}"
    assert rec.check_row(good(zz=1, aa=2)) == f"unknown field(s) aa, zz; valid: {', '.join(SPEC)}"
    with pytest.raises(RecordError, match=r"^here: dice 2 is outside \[0, 1\]$"):
        rec.validate_row(good(dice=2), where="here")
    row = good()
    assert rec.validate_row(row, where="x") is row


def test_encode_order_separators_and_nan():
    row = {"extra": 1, **{k: v for k, v in reversed(list(good().items()))}}
    line = rec.encode(row)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert list(json.loads(line)) == list(SPEC) + ["extra"]
    assert line.startswith(b'{"schema_version": 2, "run_key": "run-a", ')
    with pytest.raises(ValueError):
        rec.encode(good(dice=math.nan))
    assert rec.lines_sha256([b"a\n", b"b\n"]) == hashlib.sha256(b"a\nb\n").hexdigest()


def test_scan_numbers_lines_skips_blanks_and_keeps_the_partial_tail(tmp_path):
    assert rec.scan(tmp_path / "absent.jsonl") == ([], None)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"a": 1}\n\n  \n[1]\n{"b": }\n\xff\n{"c": 3}')
    lines, partial = rec.scan(path)
    assert [(ln.number, ln.row, ln.problem) for ln in lines] == [
        (1, {"a": 1}, None), (4, None, "not a JSON object (list)"),
        (5, None, "not JSON: Expecting value (column 7)"), (6, None, "not UTF-8 text")]
    assert lines[0].raw == b'{"a": 1}\n'
    assert (partial.number, partial.raw, partial.row) == (7, b'{"c": 3}', {"c": 3})
    path.write_bytes(b'{"a": 1}\n  ')
    assert rec.scan(path)[1] is None  # a blank tail is not a partial line
    with pytest.raises(RecordError, match=rf"^{tmp_path}: cannot read records \(Is a directory\)$"):
        rec.scan(tmp_path)


def test_read_reports_the_partial_line_at_most_five_problems_and_duplicates(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"".join(lines_of(good())) + b'{"c": 3}')
    with pytest.raises(RecordError) as err:
        rec.read(path)
    assert str(err.value) == (f"{path}: 1 unreadable line(s): line 2: incomplete last line (no newline: a "
                              "cut-off write); each line must be one JSON record: repair or remove them")
    path.write_bytes(b"[]\n" * 7)
    with pytest.raises(RecordError) as err:
        rec.read(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: 7 unreadable line(s): line 1: not a JSON object (list); ")
    assert "line 5: not a JSON object (list) (and 2 more); each line" in msg and "line 6" not in msg
    path.write_bytes(b"[]\n" * 6)
    with pytest.raises(RecordError, match=r"line 5: not a JSON object \(list\) \(and 1 more\); each line"):
        rec.read(path)
    path.write_bytes(b"[]\n" * 5)
    with pytest.raises(RecordError, match=r"line 5: not a JSON object \(list\); each line") as err:
        rec.read(path)
    assert "more" not in str(err.value)
    # rows differing only in a field outside the identity are duplicates
    a, b = good(), good(run_key="other", dice=0.1)
    path.write_bytes(b"".join(lines_of(good(label="x"), a, b)))
    with pytest.raises(RecordError, match=rf"^{path}:3: duplicate row \(same model, model_version, testset, "
                                          r"testset_size, testset_seed, case, case_sha256, label as line 2\)$"):
        rec.read(path)
    for field in ("model", "model_version", "testset", "testset_size", "testset_seed", "case", "case_sha256", "label"):
        other = good(**{field: 99 if SPEC[field][0] == "integer" else ("e" * 64 if field.endswith("sha256") else "zz")})
        path.write_bytes(b"".join(lines_of(a, other)))
        assert rec.read(path) == [a, other], field
    # validate=False reads rows that break the schema, still refusing duplicates
    path.write_bytes(b"".join(lines_of(good(dice=3), good(label="y"))))
    assert [r["dice"] for r in rec.read(path, validate=False)] == [3, 0.5]
    with pytest.raises(RecordError, match=r":1: dice 3 is outside"):
        rec.read(path)


def test_without_timing_and_frame(tmp_path):
    rows = [good(), good(label="y", dice=None, extra="e")]
    assert rec.without_timing(rows) == [{k: v for k, v in r.items() if k not in ("time", "seconds")} for r in rows]
    df = rec.frame(rows)
    assert list(df.columns) == list(SPEC) + ["extra"]
    for k in ("dice", "volume_similarity", "hd95", "assd", "object_f1"):
        assert str(df[k].dtype) == "float64", k
    assert math.isnan(df["dice"][1]) and df["dice"][0] == 0.5
    assert math.isnan(df["object_f1"][0]) is False and str(df["n_truth"].dtype) == "int64"
    # metric columns are float even when every value is null or an integer
    df = rec.frame([good(dice=None, volume_similarity=None, hd95=2, assd=0, object_f1=None),
                    good(label="y", dice=None, volume_similarity=None, hd95=3, assd=1, object_f1=None)])
    for k in ("dice", "volume_similarity", "hd95", "assd", "object_f1"):
        assert str(df[k].dtype) == "float64", k
    assert df["dice"].isna().all() and df["hd95"].tolist() == [2.0, 3.0]
    path = tmp_path / "r.jsonl"
    rec.append(path, [good(), good(label="y")])
    assert rec.frame(path)["label"].tolist() == ["nucleus", "y"]
    assert rec.frame(str(path))["label"].tolist() == ["nucleus", "y"]


def test_append_adds_whole_lines_after_what_is_there(tmp_path):
    path = tmp_path / "r.jsonl"
    first = rec.append(path, [good()])
    second = rec.append(path, [good(label="y"), good(label="z")])
    assert first == lines_of(good()) and second == lines_of(good(label="y"), good(label="z"))
    assert path.read_bytes() == b"".join(first + second)
    assert rec.append(path, []) == [] and path.read_bytes() == b"".join(first + second)


def _store_with(tmp_path, runs):
    with RecordStore(tmp_path) as store:
        for key in runs:
            store.add_run(key, [good(run_key=key, case=key), good(run_key=key, case=key, label="y")])
    return tmp_path / "records.jsonl"


def test_reconcile_says_why_each_run_is_recomputed(tmp_path):
    path = _store_with(tmp_path, ["a", "b", "c", "d", "e", "f"])
    done = tmp_path / "done"
    (done / "a.done").unlink()  # no marker
    (done / "b.done").write_text("{not json")  # unreadable marker
    (done / "c.done").write_text("[1, 2]\n")  # not an object
    m = json.loads((done / "d.done").read_text())
    (done / "d.done").write_text(json.dumps({k: v for k, v in m.items() if k != "sha256"}))
    m = json.loads((done / "e.done").read_text())
    (done / "e.done").write_text(json.dumps({**m, "schema_version": 1}))
    (done / "ghost.done").write_text("{}")  # a marker whose rows are gone
    (done / "notes.txt").write_text("kept")
    with RecordStore(tmp_path) as store:
        r = store.reconciled
        assert dict(r.dropped_runs) == {
            "a": "no done marker (cut off before it finished)",
            "b": "no done marker (cut off before it finished)",
            "c": "no done marker (cut off before it finished)",
            "d": "done marker of another schema version (2)",
            "e": "done marker of another schema version (1)",
            "ghost": "done marker without rows"}
        assert (r.kept, r.dropped_rows, r.partial_line) == (2, 10, None)
        assert [store.is_done(k) for k in "abcdef"] == [False] * 5 + [True]
        assert sorted(p.name for p in done.iterdir()) == ["f.done", "notes.txt"]
        assert r.notes(store.path) == [f"run {k}: {why}; recomputing it" for k, why in r.dropped_runs]
    assert [row["run_key"] for row in rec.read(path)] == ["f", "f"]


def test_a_marked_run_whose_rows_break_the_schema_is_recomputed(tmp_path):
    (tmp_path / "done").mkdir()
    lines = lines_of(good(run_key="k"), good(run_key="k", label="y", dice=1.5))
    (tmp_path / "records.jsonl").write_bytes(b"".join(lines))
    rec.mark_done(tmp_path / "done", "k", lines)
    assert json.loads((tmp_path / "done" / "k.done").read_text()) == {
        "schema_version": 2, "run_key": "k", "records": 2, "sha256": rec.lines_sha256(lines)}
    with RecordStore(tmp_path) as store:
        assert store.reconciled.dropped_runs == (("k", "a row breaks the record schema (dice 1.5 is outside [0, 1])"),)


def test_a_clean_file_is_not_rewritten_and_a_partial_tail_alone_is_dropped(tmp_path):
    path = _store_with(tmp_path, ["a"])
    inode, data = path.stat().st_ino, path.read_bytes()
    with RecordStore(tmp_path) as store:
        assert store.reconciled == rec.Reconciled(2, 0, (), None) and store.reconciled.notes(path) == []
    assert path.stat().st_ino == inode
    with open(path, "ab") as f:
        f.write(b'{"run_key": "b", "cut')
    with RecordStore(tmp_path) as store:
        assert store.reconciled == rec.Reconciled(2, 0, (), 3)
        assert store.reconciled.notes(path) == [f"{path}:3: incomplete last line (a cut-off write) dropped"]
        assert store.rows() == rec.read(path)
    assert path.read_bytes() == data


def test_add_run_refusals(tmp_path):
    store = RecordStore(tmp_path)
    assert store.reconciled is None and not store.is_done("k")  # not opened: nothing known yet
    with pytest.raises(RecordError, match=rf"^{tmp_path}: add_run needs the folder lock \(use the store as a "
                                          r"context manager\)$"):
        store.add_run("k", [good(run_key="k")])
    with rec.open_store(tmp_path) as store:
        with pytest.raises(RecordError, match=r"^run k: row 1 has run_key 'j'$"):
            store.add_run("k", [good(run_key="k"), good(run_key="j", label="y")])
        with pytest.raises(RecordError, match=r"^run k row 0: dice 2 is outside \[0, 1\]$"):
            store.add_run("k", [good(run_key="k", dice=2)])
        assert not store.is_done("k") and not (tmp_path / "records.jsonl").exists()
        store.add_run("k", [good(run_key="k")])
        assert store.is_done("k") and store.marker_path("k") == tmp_path / "done" / "k.done"
        with pytest.raises(RecordError, match=rf"^run k is already done in {tmp_path / 'records.jsonl'}; "
                                              r"a row is never written twice$"):
            store.add_run("k", [good(run_key="k")])
    # open_store released the lock
    other = RecordStore(tmp_path)
    other.lock()
    other.unlock()
    other.unlock()  # a second unlock is harmless


def test_a_lock_held_with_no_pid_written_yet_names_an_unknown_holder(tmp_path):
    import fcntl

    fd = os.open(tmp_path / ".lock", os.O_RDWR | os.O_CREAT)  # another holder, pid not yet written
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(RecordError, match=r"in use by another benchmark run \(pid \?\)"):
            RecordStore(tmp_path).lock()
        os.pwrite(fd, b"12\xff", 0)  # junk in the lock file still gives the one-line refusal
        with pytest.raises(RecordError, match="in use by another benchmark run \\(pid 12\ufffd\\)"):
            RecordStore(tmp_path).lock()
    finally:
        os.close(fd)


def test_the_lock_file_holds_the_owners_pid_only(tmp_path):
    tmp_path.joinpath(".lock").write_text("123456789012345")
    store = RecordStore(tmp_path / ".")
    store.lock()
    try:
        assert (tmp_path / ".lock").read_text() == str(os.getpid())
    finally:
        store.unlock()
    nested = tmp_path / "a" / "b"
    with RecordStore(nested) as store:  # the folder is created
        assert store.reconciled == rec.Reconciled(0, 0, (), None)
    assert (nested / ".lock").is_file()
