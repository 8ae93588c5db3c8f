"""Anatomy sources: registered collections of real label maps with an enforced train/held-out
split (``mni152-tissue``, ``synthseg-20``; plugins add more through the entry-point group
``synthzoo.anatomy``).  See :mod:`synthzoo.anatomy.base` for the contract.
"""

from synthzoo.anatomy.base import AnatomyError, AnatomySource, SplitError
from synthzoo.anatomy.registry import ANATOMY


def get_source(name: str) -> AnatomySource:
    """An instance of the anatomy source registered as ``name``."""
    return ANATOMY.get(name)()


def source_table() -> list[dict]:
    """Every registered source's :meth:`~AnatomySource.info` (``anatomy list --json``)."""
    return [cls().info() for cls in ANATOMY.load_all().values()]


__all__ = ["ANATOMY", "AnatomyError", "AnatomySource", "SplitError", "get_source", "source_table"]
