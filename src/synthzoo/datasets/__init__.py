"""Test sets of unseen contrasts: physics-based and real, stored as chunked Zarr, read with Dask.

``build(name, root=...)`` writes a test set (resumable), ``open(name, root=...)`` returns a
:class:`~synthzoo.datasets.store.TestSet` whose cases hold Dask arrays over the store,
``verify(name)`` recomputes checksums, ``build_all(root)`` builds every registered test set.
The storage root defaults to ``$SYNTHZOO_DATA/datasets`` or the user data folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from synthzoo.datasets.base import Case, CaseSpec, DatasetError, TestSetBuilder, TestSetCard
from synthzoo.datasets.registry import DATASETS, get_builder
from synthzoo.datasets.store import TestSet, default_root, open_testset, size_root, store_path, verify


def open(name: str, root: str | Path | None = None) -> TestSet:  # noqa: A001  (mirrors zarr.open)
    """Open the built test set ``name`` (lazy: arrays are Dask arrays over the Zarr store)."""
    if name not in DATASETS.names():
        DATASETS.get(name)  # raises: unknown test set, listing the valid names
    return open_testset(name, root)


def build(name: str, root: str | Path | None = None, *, size: int | None = None, cases: int | None = None,
          seed: int = 0, force: bool = False, workers: int = 1, contrasts: list[str] | None = None,
          progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Build the registered test set ``name`` (resumable); returns its store path."""
    from synthzoo.datasets.store import build as _build

    return _build(get_builder(name), root, size=size, cases=cases, seed=seed, force=force,
                  workers=workers, contrasts=contrasts, progress=progress)


def build_all(root: str | Path | None = None, quick: bool = False) -> dict[str, Path]:
    """Build every registered test set under ``root`` (resumable; ``quick``: tiny sizes)."""
    from rich.progress import Progress

    out: dict[str, Path] = {}
    names = DATASETS.names()
    with Progress() as bar:
        task = bar.add_task("test sets", total=len(names))
        for name in names:
            b = get_builder(name)
            sub = size_root(root, quick=quick)
            bar.update(task, description=f"test set {name}")
            out[name] = build(name, sub, size=b.quick_size if quick else b.default_size)
            bar.advance(task)
    return out


__all__ = ["DATASETS", "Case", "CaseSpec", "DatasetError", "TestSet", "TestSetBuilder", "TestSetCard",
           "build", "build_all", "default_root", "get_builder", "open", "size_root", "store_path", "verify"]
