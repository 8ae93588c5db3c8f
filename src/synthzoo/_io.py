"""Atomic file output, shared by every part that writes results.

A file is written under a hidden temporary name beside its target (same extension, so writers
that infer the format from it still work) and renamed over the target only when complete: an
interrupted write never leaves a file that looks finished, and a failed one leaves nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable


def temp_path(path: str | Path) -> Path:
    """The temporary name used while ``path`` is being written: ``.NAME.partial.EXT`` where
    ``EXT`` is everything after the first dot (``.nii.gz`` stays ``.nii.gz``)."""
    path = Path(path)
    base, dot, ext = path.name.partition(".")
    return path.with_name(f".{base}.partial{dot}{ext}")


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` to write a temporary file, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
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
