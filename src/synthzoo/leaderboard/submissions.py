"""Checking result submissions (``records.jsonl`` files) before they reach the leaderboard.

A submission is valid when every line is a record of the current schema
(:func:`synthzoo.benchmarks.records.check_row`: types, Dice and volume similarity in [0, 1],
provenance present, ``schema_version``) and consistent with the registered test sets: a known
test set, its domain, one of its contrasts, one of its label names (or of an extra target's,
e.g. the brain mask) at the right index; and no row repeats another (same
:data:`~synthzoo.benchmarks.records.IDENTITY`) in the same file or an earlier one.  Every
problem is one line ``FILE:LINE: what is wrong; what is valid``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from synthzoo.benchmarks.records import IDENTITY, RecordError, check_row, scan
from synthzoo.datasets.registry import targets


class SubmissionError(RecordError):
    """A malformed or inconsistent submission; ``problems`` lists every ``FILE:LINE: ...``."""

    def __init__(self, problems: list[str]) -> None:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(problems[0] + more)
        self.problems = problems


def _testsets() -> dict[str, Any]:
    from synthzoo.datasets import DATASETS, get_builder

    return {name: get_builder(name) for name in DATASETS.names()}


def _consistency(row: dict[str, Any], builders: dict[str, Any]) -> str | None:
    b = builders.get(row["testset"])
    if b is None:
        return f"unknown test set {row['testset']!r}; valid: {', '.join(builders)}"
    if row["testset_domain"] != b.domain:
        return f"testset_domain {row['testset_domain']!r} does not match {b.name}'s domain {b.domain!r}"
    if row["contrast"] not in b.contrasts:
        return f"contrast {row['contrast']!r} is not one of {b.name}'s: {', '.join(b.contrasts)}"
    sets = list(targets(b).values())
    where = [ls for ls in sets if row["label"] in ls]
    if not where:
        names = sorted({n for ls in sets for n in ls}, key=[n for ls in sets for n in ls].index)
        return f"label {row['label']!r} is not one of {b.name}'s: {', '.join(names)}"
    if all(ls.index(row["label"]) != row["label_index"] for ls in where):
        at = " or ".join(str(i) for i in dict.fromkeys(ls.index(row["label"]) for ls in where))
        return f"label_index {row['label_index']} of label {row['label']!r}; {b.name} has it at {at}"
    if row["foreground"] != (row["label"] != "background"):
        return f"foreground {row['foreground']} for label {row['label']!r}; foreground means the label is not 'background'"
    if row["trained_contrast"] is not None and row["trained_contrast"] not in b.contrasts:
        return f"trained_contrast {row['trained_contrast']!r} is not one of {b.name}'s: {', '.join(b.contrasts)}"
    if row["model_kind"] == "narrow" and row["trained_contrast"] is None:
        return "trained_contrast is null; a narrow baseline must name the contrast it was trained on"
    return None


def check(paths: Iterable[str | Path]) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of every file (in order) and every problem found (empty: all valid)."""
    builders = _testsets()
    rows, problems = [], []
    seen: dict[tuple, str] = {}
    for path in map(Path, paths):
        if not path.is_file():
            problems.append(f"{path}: no such file")
            continue
        try:
            lines, partial = scan(path)
        except RecordError as exc:
            problems.append(str(exc))
            continue
        if not lines and partial is None:
            problems.append(f"{path}: no records")
        for ln in lines:
            where = f"{path}:{ln.number}"
            problem = ln.problem or check_row(ln.row) or _consistency(ln.row, builders)
            if problem:
                problems.append(f"{where}: {problem}")
                continue
            key = tuple(ln.row[k] for k in IDENTITY)
            if key in seen:
                problems.append(f"{where}: duplicate row (same {', '.join(IDENTITY)} as {seen[key]})")
                continue
            seen[key] = where
            rows.append(ln.row)
        if partial is not None:
            problems.append(f"{path}:{partial.number}: incomplete last line (no newline: a cut-off write)")
    return rows, problems


def load(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Rows of every file, or :class:`SubmissionError` if any file has a problem."""
    paths = list(paths)
    if not paths:
        raise SubmissionError(["no records files given"])
    rows, problems = check(paths)
    if problems:
        raise SubmissionError(problems)
    return rows
