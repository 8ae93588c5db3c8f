"""Former module paths, kept importable: ``synthzoo.generators.base`` is the module
``synthzoo.generators.engine.base`` (the same object, not a copy), and so on.

The generators package was split into ``engine/`` (what a domain subclasses and composes),
``physics/`` (shared forward models and shape makers), ``domains/`` (one module per domain)
and ``tools/`` (preview, command line); two test-set modules were renamed to match their
generators.  Code written against the old paths keeps working through this finder.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

_PARTS = {
    "engine": ("base", "samplers", "spatial", "intensity", "separable", "labels"),
    "physics": ("tomography", "shapes", "anatomy"),
    "domains": ("neuro_mri", "fluorescence", "em", "ultrasound", "ct", "pet", "micro_ct"),
    "tools": ("preview", "cli"),
}
ALIASES: dict[str, str] = {
    f"synthzoo.generators.{m}": f"synthzoo.generators.{part}.{m}"
    for part, mods in _PARTS.items() for m in mods
}
ALIASES.update({"synthzoo.datasets.microct": "synthzoo.datasets.micro_ct",
                "synthzoo.datasets.neuro": "synthzoo.datasets.neuro_mri"})


class _Loader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec):  # the target module itself stands in for the old name
        return importlib.import_module(self.target)

    def exec_module(self, module) -> None:  # already executed under its new name
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname not in ALIASES:
            return None
        return importlib.util.spec_from_loader(fullname, _Loader(ALIASES[fullname]))


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
