"""Atomic file output, shared by every part that writes results.

A file (or a folder such as a Zarr store) is written under a hidden temporary name beside its
target (same extension, so writers that infer the format from it still work) and renamed over
the target only when complete: an interrupted write never leaves an output that looks
finished, and a failed one leaves nothing.  Which targets a command may write at all is
decided beforehand by :mod:`synthzoo._outputs`.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any, Callable


def temp_path(path: str | Path, tag: str = "partial") -> Path:
    """The temporary name used while ``path`` is being written: ``.NAME.partial.EXT`` where
    ``EXT`` is everything after the first dot (``.nii.gz`` stays ``.nii.gz``)."""
    path = Path(path)
    base, dot, ext = path.name.partition(".")
    return path.with_name(f".{base}.{tag}{dot}{ext}")


def discard(tmp: str | Path) -> None:
    """Remove a temporary output (file or folder) if it is there; never follows a link."""
    tmp = Path(tmp)
    if tmp.is_dir() and not tmp.is_symlink():
        shutil.rmtree(tmp)
    elif tmp.is_symlink() or tmp.exists():
        tmp.unlink()


def commit(tmp: str | Path, path: str | Path) -> Path:
    """Rename the complete temporary output ``tmp`` to ``path``.

    A previous file or link at ``path`` is replaced (a link itself, never what it points to);
    a previous folder is replaced only by a folder: moved aside, the new output renamed in,
    then the old folder removed.  Whether ``path`` may be replaced at all is the caller's
    decision (:mod:`synthzoo._outputs`); a file is never put over a folder.
    """
    tmp, path = Path(tmp), Path(path)
    if path.is_dir() and not path.is_symlink():
        if not tmp.is_dir():
            raise IsADirectoryError(f"{path}: is a folder; a file cannot replace it")
        old = temp_path(path, "old")
        discard(old)
        os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old)
    elif tmp.is_dir() and path.is_symlink():
        path.unlink()  # rename() cannot put a folder over a link
        os.replace(tmp, path)
    else:
        os.replace(tmp, path)
    return path


def atomic_write(path: str | Path, write: Callable[[Path], Any], *, shared: bool = False) -> Path:
    """Call ``write(tmp)`` to write a temporary file or folder, then rename it to ``path``.

    ``shared``: ``path`` is a cache entry that several processes may fill at once (two training
    runs started together, data-loader workers); each writer then gets its own temporary name
    (``.NAME.partial-PID-THREAD.EXT``) and leaves the others' alone, and the last complete
    rename wins (the writers write the same content).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if shared:
        tmp = temp_path(path, f"partial-{os.getpid()}-{threading.get_ident()}")
    else:
        tmp = temp_path(path)
    discard(tmp)  # a leftover of an interrupted earlier write
    try:
        write(tmp)
        commit(tmp, path)
    finally:
        discard(tmp)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write(path, lambda p: p.write_text(text))


def save_figure(fig, path: str | Path, **savefig_kwargs: Any) -> Path:
    """Save a matplotlib figure to ``path`` atomically and close it."""
    import matplotlib.pyplot as plt

    try:
        return atomic_write(path, lambda p: fig.savefig(p, **savefig_kwargs))
    finally:
        plt.close(fig)
