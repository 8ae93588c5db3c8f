"""Result records: the schema, the append-only ``records.jsonl``, done markers and reading.

This module owns the record format; the benchmark runner writes through it and the
leaderboard reads through it.

**Format.** ``records.jsonl`` holds one JSON object per line (UTF-8, ``\\n``-terminated), one
per model x case x label, with the fields of :data:`FIELDS` (schema version
:data:`SCHEMA_VERSION`; :func:`json_schema` gives the JSON Schema a submission must satisfy).
The rows of one *run* (one model version on one case of one test-set build) share a
``run_key`` and are appended together in a single ``write`` followed by ``fsync``.

**Done markers.** After its rows are on disk a run gets ``done/<run_key>.done`` (written
atomically): ``{"schema_version", "run_key", "records": <row count>, "sha256": <sha256 of the
run's lines, bytes as written, each with its newline>}``.  A run counts as done only when the
rows in the file match its marker (count and hash), so a run cut off before its marker, a
finished run whose last line was truncated, and rows written twice are all recomputed.

**Integrity.** :class:`RecordStore` holds an exclusive lock on its folder (``.lock``, an
``flock`` released by the OS when the process dies, also on SIGKILL); a second writer is
refused with a one-line message.  On opening, :meth:`RecordStore.reconcile` keeps only rows of
runs whose marker matches and rewrites the file atomically if anything was dropped.  An
incomplete last line (no newline: a write cut off) is dropped and reported; any other line
that is not a JSON object (binary junk) stops everything with :class:`RecordError` naming the
line numbers: it is never silently dropped.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from synthzoo._io import write_text

#: 2: adds ``hd95``, ``assd`` and ``object_f1`` (runs of version 1 are recomputed on the next run)
SCHEMA_VERSION = 2
RECORDS = "records.jsonl"
DONE = "done"
LOCK = ".lock"
MODEL_KINDS = ("zoo", "narrow", "classical")
#: fields that differ between two runs of the same work (excluded when comparing results)
TIMING_FIELDS = ("time", "seconds")
#: fields that identify one row; two rows with the same values are duplicates
#: metric fields (numbers or null), see :mod:`synthzoo.metrics`
METRIC_FIELDS = ("dice", "volume_similarity", "hd95", "assd", "object_f1")
IDENTITY = ("model", "model_version", "testset", "testset_size", "testset_seed", "case", "case_sha256", "label")

#: the identity of a run (all its rows): :data:`IDENTITY` but the label
RUN_IDENTITY = tuple(k for k in IDENTITY if k != "label")

#: the flag in a zoo model's version (``SHA+inference3-nomirror``) of a prediction that was not
#: mirror averaged (:func:`synthzoo.benchmarks.runner.zoo_version` writes it,
#: :func:`describe_inference` reads it)
NOMIRROR = "nomirror"


def describe_inference(procedure: str) -> str:
    """What a zoo model version's inference suffix says (:func:`synthzoo.benchmarks.runner.zoo_version`):
    ``inference3-nomirror-bfloat16`` -> ``inference version 3, once per image (no mirror
    averaging), in bfloat16``; a suffix of another form is returned as it is."""
    head, *flags = procedure.split("-")
    number = head[len("inference"):]
    if not head.startswith("inference") or not number.isdigit() or len([f for f in flags if f != NOMIRROR]) > 1:
        return procedure
    once = NOMIRROR in flags or int(number) < 3  # mirror averaging came with version 3
    precision = next((f for f in flags if f != NOMIRROR), "float32")
    how = "once per image (no mirror averaging)" if once else "mirror averaged where trained flipped"
    return f"inference version {number}, {how}, in {precision}"


_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class RecordError(ValueError):
    """Malformed, inconsistent or unreadable records; the message names the file and line."""


@dataclass(frozen=True)
class Field:
    """One record field: JSON type(s), whether it may be ``null``, and what it means."""

    name: str
    type: str  # "string", "integer", "number", "boolean"
    description: str
    nullable: bool = False
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None


FIELDS: tuple[Field, ...] = (
    Field("schema_version", "integer", "record schema version", enum=(SCHEMA_VERSION,)),
    Field("run_key", "string", "identity of the run (model version x test-set build x case)"),
    Field("model", "string", "model name (zoo model or classical baseline)"),
    Field("model_kind", "string", "zoo: domain-randomized zoo model; narrow: zoo model trained on one "
          "contrast (card baseline: true); classical: classical baseline", enum=MODEL_KINDS),
    Field("model_version", "string", "zoo, narrow: weights sha256 + '+inference' and the inference "
          "procedure's version (synthzoo.zoo.predict.INFERENCE_VERSION); classical: baseline version"),
    Field("trained_contrast", "string", "narrow models: the test contrast they were trained on",
          nullable=True),
    Field("testset", "string", "registered test-set name"),
    Field("testset_domain", "string", "domain of the test set"),
    Field("testset_size", "integer", "build size of the test set", minimum=1),
    Field("testset_seed", "integer", "build seed of the test set"),
    Field("case", "string", "case name"),
    Field("case_seed", "integer", "seed the case was drawn with", nullable=True),
    Field("contrast", "string", "contrast (image type) of the case"),
    Field("label", "string", "label name"),
    Field("label_index", "integer", "label index in the scored target's label names (the test set's, "
          "or an extra target's such as the brain mask)", minimum=0),
    Field("foreground", "boolean", "label is not 'background'"),
    Field("dice", "number", "Dice overlap (null: label absent from truth and prediction)",
          nullable=True, minimum=0.0, maximum=1.0),
    Field("volume_similarity", "number", "1 - ||A|-|B|| / (|A|+|B|)", nullable=True, minimum=0.0, maximum=1.0),
    Field("hd95", "number", "95th-percentile Hausdorff distance between the label's surfaces in mm "
          "(null: label absent from both; the image diagonal: absent from one)", nullable=True, minimum=0.0),
    Field("assd", "number", "average symmetric surface distance in mm (null and absent as for hd95)",
          nullable=True, minimum=0.0),
    Field("object_f1", "number", "object-level F1 at IoU 0.5 of the label's connected components "
          "(instance labels such as nuclei; null for other labels or no object in either)",
          nullable=True, minimum=0.0, maximum=1.0),
    Field("n_truth", "integer", "voxels of the label in the truth", minimum=0),
    Field("n_pred", "integer", "voxels of the label in the prediction", minimum=0),
    Field("calibration", "string", "classical baselines: how clusters were mapped to labels", nullable=True),
    Field("synthzoo_version", "string", "package version that produced the row"),
    Field("git_commit", "string", "git commit of that code (null outside a checkout)", nullable=True),
    Field("git_dirty", "boolean", "the checkout had uncommitted changes", nullable=True),
    Field("weights_sha256", "string", "sha256 of the weights file (zoo, narrow; null: classical)",
          nullable=True, pattern=_HEX64.pattern),
    Field("testset_sha256", "string", "sha256 of the test-set manifest's array checksums",
          pattern=_HEX64.pattern),
    Field("case_sha256", "string", "sha256 of the case's array checksums", pattern=_HEX64.pattern),
    Field("device", "string", "device the model ran on"),
    Field("seed", "integer", "seed of the run"),
    Field("time", "string", "UTC time the run finished (ISO 8601)"),
    Field("seconds", "number", "wall time of the run", minimum=0.0),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
_BY_NAME = {f.name: f for f in FIELDS}
_PY_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one record line of a submission."""
    props = {}
    for f in FIELDS:
        p: dict[str, Any] = {"type": [f.type, "null"] if f.nullable else f.type, "description": f.description}
        if f.enum is not None:
            p["enum"] = list(f.enum) + ([None] if f.nullable else [])
        if f.minimum is not None:
            p["minimum"] = f.minimum
        if f.maximum is not None:
            p["maximum"] = f.maximum
        if f.pattern is not None:
            p["pattern"] = f.pattern
        if f.type == "string" and f.pattern is None and f.enum is None:
            p["minLength"] = 1  # a nullable string is null or not empty, as check_row has it
        props[f.name] = p
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"synthzoo-record-v{SCHEMA_VERSION}",
        "title": f"synthzoo benchmark record, schema version {SCHEMA_VERSION}",
        "type": "object",
        "properties": props,
        "required": list(FIELD_NAMES),
        "additionalProperties": False,
        "allOf": [{"if": {"properties": {"model_kind": {"enum": ["zoo", "narrow"]}}},
                   "then": {"properties": {"weights_sha256": {"type": "string"}}}}],
    }


def check_row(row: Any) -> str | None:
    """What is wrong with one record (``None``: a valid row of :data:`SCHEMA_VERSION`).  Same rules as
    :func:`json_schema`; the message names the field and what is valid."""
    if not isinstance(row, dict):
        return f"a record must be a JSON object, got {type(row).__name__}"
    version = row.get("schema_version")
    if version != SCHEMA_VERSION:
        return f"schema_version {version!r} is not supported; valid: {SCHEMA_VERSION}"
    missing = [k for k in FIELD_NAMES if k not in row]
    if missing:
        return f"missing field(s) {', '.join(missing)}"
    unknown = sorted(set(row) - set(FIELD_NAMES))
    if unknown:
        return f"unknown field(s) {', '.join(unknown)}; valid: {', '.join(FIELD_NAMES)}"
    for f in FIELDS:
        v = row[f.name]
        if v is None:
            if not f.nullable:
                return f"{f.name} is null; it must be a {f.type}"
            continue
        ok = isinstance(v, _PY_TYPES[f.type]) and not (f.type != "boolean" and isinstance(v, bool))
        if not ok:
            return f"{f.name} {v!r} is not a {f.type}"
        if f.type == "number" and not math.isfinite(v):
            return f"{f.name} {v!r} is not a finite number"
        if f.type == "string" and not v and f.enum is None:
            return f"{f.name} is empty"
        if f.enum is not None and v not in f.enum:
            return f"{f.name} {v!r} is not valid; valid: {', '.join(map(str, f.enum))}"
        lo, hi = f.minimum, f.maximum
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f"[{lo:g}, {hi:g}]" if hi is not None else f">= {lo:g}"
            return f"{f.name} {v!r} is outside {rng}"
        if f.pattern is not None and not re.fullmatch(f.pattern, v):  # "$" alone lets a final "\n" pass
            return f"{f.name} {v!r} is not a lowercase hex sha256 (64 characters)"
    if row["model_kind"] in ("zoo", "narrow") and row["weights_sha256"] is None:
        return f"weights_sha256 is null; it is required for {row['model_kind']} models"
    return None


def validate_row(row: Any, *, where: str) -> dict[str, Any]:
    """``row`` if it is a valid record, else :class:`RecordError` ``"<where>: <problem>"``."""
    problem = check_row(row)
    if problem:
        raise RecordError(f"{where}: {problem}")
    return row


def encode(row: Mapping[str, Any]) -> bytes:
    """One record line: compact JSON in :data:`FIELDS` order (unknown keys last), ``\\n``-ended."""
    ordered = {k: row[k] for k in FIELD_NAMES if k in row}
    ordered.update({k: v for k, v in row.items() if k not in ordered})
    return (json.dumps(ordered, separators=(", ", ": "), allow_nan=False) + "\n").encode()


def lines_sha256(lines: Iterable[bytes]) -> str:
    """sha256 of record lines (bytes as written, each with its newline)."""
    h = hashlib.sha256()
    for line in lines:
        h.update(line)
    return h.hexdigest()


@dataclass(frozen=True)
class Line:
    """One line of a records file: 1-based ``number``, raw bytes, parsed ``row`` (or ``None``)
    and ``problem`` (why it is unreadable; ``None`` when it parsed)."""

    number: int
    raw: bytes
    row: dict[str, Any] | None
    problem: str | None = None


def scan(path: str | Path) -> tuple[list[Line], Line | None]:
    """Every complete line of ``path`` and the incomplete last line (no newline), if any.

    Blank lines are skipped.  A line that is not UTF-8 or not a JSON object gets a
    ``problem``; nothing is dropped here."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], None
    except OSError as exc:
        raise RecordError(f"{path}: cannot read records ({exc.strerror or exc})") from exc
    parts = data.split(b"\n")
    tail = parts.pop()  # b"" when the file ends with a newline
    out = []
    for i, raw in enumerate(parts, start=1):
        if not raw.strip():
            continue
        out.append(_parse(i, raw + b"\n"))
    partial = _parse(len(parts) + 1, tail) if tail.strip() else None
    return out, partial


def _parse(number: int, raw: bytes) -> Line:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Line(number, raw, None, "not UTF-8 text")
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        return Line(number, raw, None, f"not JSON: {exc.msg} (column {exc.colno})")
    if not isinstance(row, dict):
        return Line(number, raw, None, f"not a JSON object ({type(row).__name__})")
    return Line(number, raw, row)


def _unreadable_error(path: Path, bad: list[Line]) -> RecordError:
    shown = "; ".join(f"line {ln.number}: {ln.problem}" for ln in bad[:5])
    more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
    return RecordError(f"{path}: {len(bad)} unreadable line(s): {shown}{more}; each line must be one "
                       f"JSON record: repair or remove them")


def read(path: str | Path, *, validate: bool = True) -> list[dict[str, Any]]:
    """Every record of a records file, in file order.

    Raises :class:`RecordError` naming the file and line for an unreadable line, an
    incomplete last line, (with ``validate``) a row that breaks the schema, or a duplicate
    row (same :data:`IDENTITY`)."""
    path = Path(path)
    lines, partial = scan(path)
    bad = [ln for ln in lines if ln.problem] + ([partial] if partial else [])
    if partial and partial.problem is None:
        bad[-1] = Line(partial.number, partial.raw, None, "incomplete last line (no newline: a cut-off write)")
    if bad:
        raise _unreadable_error(path, bad)
    seen: dict[tuple, int] = {}
    rows = []
    for ln in lines:
        if validate:
            validate_row(ln.row, where=f"{path}:{ln.number}")
        key = tuple(ln.row.get(k) for k in IDENTITY)
        if key in seen:
            raise RecordError(f"{path}:{ln.number}: duplicate row (same {', '.join(IDENTITY)} as line {seen[key]})")
        seen[key] = ln.number
        rows.append(ln.row)
    return rows


def without_timing(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows without :data:`TIMING_FIELDS` (to compare the results of two runs of the same work)."""
    return [{k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in rows]


def frame(rows: Iterable[Mapping[str, Any]] | str | Path):
    """Records (rows, or a records-file path read with :func:`read`) as a pandas DataFrame with
    the columns of :data:`FIELDS` in order (the metrics of :data:`METRIC_FIELDS` as float, NaN for null)."""
    import pandas as pd

    data = read(rows) if isinstance(rows, (str, Path)) else list(rows)
    df = pd.DataFrame(data, columns=list(FIELD_NAMES) if not data else None)
    df = df[[c for c in FIELD_NAMES if c in df.columns] + [c for c in df.columns if c not in _BY_NAME]]
    for k in METRIC_FIELDS:
        if k in df.columns:
            df[k] = pd.to_numeric(df[k], errors="coerce").astype(float)
    return df


def append(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> list[bytes]:
    """Append ``rows`` as whole lines with one ``write`` and ``fsync``; returns the lines written."""
    lines = [encode(r) for r in rows]
    data = b"".join(lines)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)
    return lines


@dataclass(frozen=True)
class Reconciled:
    """What :meth:`RecordStore.reconcile` found: rows kept, runs dropped (to recompute) with
    why, and the line number of an incomplete last line that was dropped (``None``: none)."""

    kept: int
    dropped_rows: int
    dropped_runs: tuple[tuple[str, str], ...]
    partial_line: int | None

    def notes(self, path: Path) -> list[str]:
        out = []
        if self.partial_line is not None:
            out.append(f"{path}:{self.partial_line}: incomplete last line (a cut-off write) dropped")
        for key, why in self.dropped_runs:
            out.append(f"run {key}: {why}; recomputing it")
        return out


class RecordStore:
    """A results folder: ``records.jsonl``, ``done/<run_key>.done`` markers and ``.lock``.

    Use as a context manager (takes the lock and reconciles)::

        with RecordStore(out) as store:
            if not store.is_done(key):
                store.add_run(key, rows)
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / RECORDS
        self.done = self.folder / DONE
        self._lock_fd: int | None = None
        self._done_keys: set[str] = set()
        self._done_cases: set[tuple] = set()
        self.reconciled: Reconciled | None = None

    # -- lock --------------------------------------------------------------------------
    def lock(self) -> None:
        """Take the folder's exclusive lock or raise :class:`RecordError` saying who holds it."""
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / LOCK
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise RecordError(f"{self.folder} is in use by another benchmark run (pid {holder}); "
                                  f"wait for it to finish or use another --out") from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def __enter__(self) -> "RecordStore":
        self.lock()
        try:
            self.reconcile()
        except BaseException:
            self.unlock()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.unlock()

    # -- markers -----------------------------------------------------------------------
    def marker_path(self, key: str) -> Path:
        return self.done / f"{key}.done"

    def _marker(self, key: str) -> dict[str, Any] | None:
        try:
            m = json.loads(self.marker_path(key).read_text())
        except (OSError, ValueError):
            return None
        return m if isinstance(m, dict) else None

    def is_done(self, key: str) -> bool:
        """The run has a marker that matched its rows when the store was reconciled."""
        return key in self._done_keys

    def has_case(self, run: dict[str, Any]) -> bool:
        """A done run already holds the rows of ``run`` (its :data:`RUN_IDENTITY` fields),
        whatever its key (run keys of earlier versions did not hold the case's hash)."""
        return tuple(run[k] for k in RUN_IDENTITY) in self._done_cases

    def reconcile(self) -> Reconciled:
        """Keep the rows of runs whose marker matches (row count and sha256); drop the rest and
        their markers (those runs are recomputed).  Raises :class:`RecordError` for unreadable
        lines (never dropped)."""
        lines, partial = scan(self.path)
        bad = [ln for ln in lines if ln.problem]
        if bad:
            raise _unreadable_error(self.path, bad)
        by_run: dict[str, list[Line]] = {}
        for ln in lines:
            by_run.setdefault(str(ln.row.get("run_key")), []).append(ln)
        keep, dropped = set(), []
        for key, run_lines in by_run.items():
            m = self._marker(key)
            rows = [ln.row for ln in run_lines]
            if m is None:
                why = "no done marker (cut off before it finished)"
            elif m.get("schema_version") != SCHEMA_VERSION or "sha256" not in m:
                why = f"done marker of another schema version ({m.get('schema_version')!r})"
            elif m.get("records") != len(run_lines):
                why = f"{len(run_lines)} row(s) in the file, {m.get('records')} in its done marker"
            elif m.get("sha256") != lines_sha256(ln.raw for ln in run_lines):
                why = "rows differ from those its done marker recorded (sha256)"
            elif any(check_row(r) for r in rows):
                why = f"a row breaks the record schema ({next(check_row(r) for r in rows if check_row(r))})"
            else:
                keep.add(key)
                continue
            dropped.append((key, why))
        # markers whose rows are gone (e.g. a truncated file) do not count either
        if self.done.is_dir():
            for marker in self.done.glob("*.done"):
                key = marker.name[: -len(".done")]
                if key not in keep:
                    if key not in by_run:
                        dropped.append((key, "done marker without rows"))
                    marker.unlink()
        kept_lines = [ln for ln in lines if ln.row.get("run_key") in keep]
        if len(kept_lines) != len(lines) or partial is not None:
            write_text(self.path, b"".join(ln.raw for ln in kept_lines).decode())
        self._done_keys = keep
        self._done_cases = {tuple(ln.row.get(k) for k in RUN_IDENTITY) for ln in kept_lines}
        self.reconciled = Reconciled(len(kept_lines), len(lines) - len(kept_lines), tuple(dropped),
                                     partial.number if partial is not None else None)
        return self.reconciled

    def add_run(self, key: str, rows: list[dict[str, Any]]) -> None:
        """Append the rows of run ``key`` (validated, ``run_key`` set), then its done marker."""
        if self._lock_fd is None:
            raise RecordError(f"{self.folder}: add_run needs the folder lock (use the store as a context manager)")
        if self.is_done(key):
            raise RecordError(f"run {key} is already done in {self.path}; a row is never written twice")
        for i, r in enumerate(rows):
            if r.get("run_key") != key:
                raise RecordError(f"run {key}: row {i} has run_key {r.get('run_key')!r}")
            validate_row(r, where=f"run {key} row {i}")
        lines = append(self.path, rows)
        mark_done(self.done, key, lines)
        self._done_keys.add(key)

    def rows(self) -> list[dict[str, Any]]:
        return read(self.path)


def mark_done(done: Path, key: str, lines: list[bytes]) -> Path:
    """Write the done marker of run ``key`` whose rows are ``lines`` (atomically)."""
    return write_text(Path(done) / f"{key}.done", json.dumps(
        {"schema_version": SCHEMA_VERSION, "run_key": key, "records": len(lines),
         "sha256": lines_sha256(lines)}) + "\n")


@contextmanager
def open_store(folder: str | Path) -> Iterator[RecordStore]:
    """``with open_store(out) as store:`` the locked, reconciled :class:`RecordStore`."""
    with RecordStore(folder) as store:
        yield store
