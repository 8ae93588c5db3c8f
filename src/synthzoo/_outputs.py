"""One output policy for every command that writes.

Before any work starts, :func:`check_outputs` checks every output a command will write:

* its name ends in a format the command writes, and it names a file (not ``.`` or ``..``);
* its folder exists (or may be created) and is writable;
* it is not an input, does not lie inside an input folder, holds no input, and is not
  another output of the same command (links and ``..`` resolved);
* an existing folder is replaced only if it is a previous output of the same kind (the
  command says how to recognise one) and never a folder the command did not write;
* anything that exists is replaced only with ``overwrite=True`` (``--overwrite``).

Outputs are then written to temporary names beside their targets and renamed into place
together once all are complete (:func:`write_outputs`, built on :mod:`synthzoo._io`); a
failed write leaves the targets as they were.  Nothing the command did not create is
deleted: a link is replaced as a link, never what it points to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from synthzoo._io import commit, discard, temp_path


class OutputError(ValueError):
    """An output that must not or cannot be written; the message names the path."""


@dataclass(frozen=True)
class Target:
    """One output a command will write.

    ``folder``: the output is a folder (a Zarr store, a folder of files); ``suffixes``: the
    name endings it may have (empty: any); ``own``: recognises a previous output of the same
    kind (required before an existing folder is replaced); ``what``: its kind, for messages;
    ``parents``: missing parent folders may be created; ``option``: how the user names it
    (``OUTPUT``, ``--probabilities``), for messages about two outputs.
    """

    path: Path
    folder: bool = False
    suffixes: tuple[str, ...] = ()
    own: Callable[[Path], bool] | None = None
    what: str = "output"
    parents: bool = False
    option: str = ""


def _resolved(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _inside(a: Path, b: Path) -> bool:
    """``a`` lies strictly inside folder ``b`` (both resolved)."""
    return a != b and a.is_relative_to(b)


def check_suffix(path: Path, suffixes: Sequence[str]) -> None:
    """Raise unless ``path``'s name ends in one of ``suffixes`` (case-insensitive)."""
    if suffixes and not path.name.lower().endswith(tuple(s.lower() for s in suffixes)):
        ext = "".join(path.suffixes) or "a name without extension"
        raise OutputError(f"{path}: cannot write {ext}; valid: {', '.join(suffixes)}")


def _check_parent(t: Target) -> None:
    parent = t.path.absolute().parent
    probe = parent
    while not _exists(probe):
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"{t.path}: {probe} is not a folder")
    if probe != parent and not t.parents:
        raise OutputError(f"{t.path}: folder {parent} does not exist; create it first")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"{t.path}: folder {probe} is not writable")


def _check_one(t: Target, inputs: Sequence[Path], overwrite: bool) -> None:
    path = t.path
    if path.name in ("", ".", "..") or str(path).endswith(os.sep):
        raise OutputError(f"{path}: names a folder, not an output; give a new "
                          f"{'folder' if t.folder else 'file'} name")
    real = _resolved(path)
    for inp in inputs:
        rin = _resolved(inp)
        if real == rin or (path.exists() and inp.exists() and os.path.samefile(path, inp)):
            raise OutputError(f"{path}: is the input {inp}; choose another output name")
        if inp.is_dir() and _inside(real, rin):
            raise OutputError(f"{path}: lies inside the input {inp}; write outside it")
        if _inside(rin, real):
            raise OutputError(f"{path}: holds the input {inp}; choose another output name")
    is_dir = path.is_dir()
    if is_dir and not t.folder:
        raise OutputError(f"{path}: is a folder; give a file name inside or beside it")
    check_suffix(path, t.suffixes)
    _check_parent(t)
    if not _exists(path):
        return
    if t.folder and path.exists() and not is_dir:
        raise OutputError(f"{path}: is a file; the {t.what} is a folder, give a new name")
    if is_dir and (t.own is None or not t.own(path)):
        raise OutputError(f"{path}: is an existing folder that is not a previous {t.what}; "
                          f"choose a new name (nothing was changed)")
    if not overwrite:
        raise OutputError(f"{path}: exists; pass --overwrite to replace it")


def check_outputs(targets: Iterable[Target], *, inputs: Iterable[str | Path] = (),
                  overwrite: bool = False) -> tuple[Path, ...]:
    """Check every output before any work; raises :class:`OutputError` naming the first
    output that must not be written.  Returns the target paths."""
    targets = list(targets)
    inputs = [Path(p) for p in inputs]
    seen: dict[Path, Target] = {}
    for t in targets:
        real = _resolved(t.path)
        for other_real, other in seen.items():
            if real == other_real or _inside(real, other_real) or _inside(other_real, real):
                name = other.option or str(other.path)
                raise OutputError(f"{t.path}: is also given as {name} ({other.path}); "
                                  f"every output needs its own name")
        seen[real] = t
    for t in targets:
        _check_one(t, inputs, overwrite)
    return tuple(t.path for t in targets)


def check_output(path: str | Path, *, inputs: Iterable[str | Path] = (), overwrite: bool = False,
                 **target: Any) -> Path:
    """:func:`check_outputs` for a single output; keywords as :class:`Target`'s fields."""
    return check_outputs([Target(Path(path), **target)], inputs=inputs, overwrite=overwrite)[0]


def write_outputs(writes: Mapping[Path, Callable[[Path], Any]]) -> list[Path]:
    """Write several outputs together: each ``write(tmp)`` writes a temporary file or folder
    beside its target; only when all succeeded are they renamed into place.  On a failure
    every temporary output is removed and the targets are left as they were."""
    tmps = {Path(p): temp_path(p) for p in writes}
    try:
        for path, write in writes.items():
            tmp = tmps[Path(path)]
            discard(tmp)  # a leftover of an interrupted earlier run
            write(tmp)
        for path, tmp in tmps.items():
            commit(tmp, path)
    finally:
        for tmp in tmps.values():
            discard(tmp)
    return list(tmps)
