"""One small generic registry, and one way to fill it: Python entry points.

Built-ins and plugins register the same way: an entry point ``name = "module:object"`` in a
group (``synthzoo.generators``, ``synthzoo.datasets``, ``synthzoo.models``,
``synthzoo.anatomy``, ``synthzoo.baselines``).  synthzoo's own entry points are declared in
its ``pyproject.toml``; a plugin declares its own in its package's.  A new part is one module
plus one entry point; no import list needs an edit.

``names()`` lists without importing anything; ``get(name)`` imports lazily.  An unknown name
raises :class:`UnknownNameError` listing the valid names; an entry point that fails to load
gives a :class:`PluginWarning` from ``load_all()`` and a clear :class:`PluginError` from
``get()``.  A plugin may not take a built-in's name (it is left out with a warning).

Where synthzoo's own entry points come from: when synthzoo is imported from a source checkout
(``src/synthzoo`` next to a ``pyproject.toml`` of the project ``synthzoo``), that file is read,
so a checkout always lists its own parts even where the installed metadata is older (an
editable install made before an entry point was added); otherwise the installed
distribution's metadata.  :meth:`Registry.register` adds objects at run time (tests, notebooks).
"""

from __future__ import annotations

import tomllib
import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import EntryPoint, PackageNotFoundError, distribution, entry_points
from pathlib import Path
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")
PROJECT = "synthzoo"
#: the entry-point groups synthzoo reads
GROUPS = ("synthzoo.generators", "synthzoo.datasets", "synthzoo.models", "synthzoo.anatomy",
          "synthzoo.baselines")


class UnknownNameError(KeyError):
    """Raised for a name that is neither built in nor provided by a plugin."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0])


class PluginError(RuntimeError):
    """Raised when an entry point exists but cannot be loaded."""


class PluginWarning(UserWarning):
    """Warned when a plugin fails to load while listing everything, or clashes with a built-in."""


@dataclass(frozen=True)
class Entry:
    name: str
    source: str  # "builtin", "runtime", or the distribution that provides the plugin
    entry_point: str | None = None


def source_pyproject() -> Path | None:
    """The checkout's ``pyproject.toml`` when synthzoo is imported from its source tree."""
    path = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if path.is_file() and path.parent.joinpath("src", PROJECT, "_registry.py").is_file():
        return path
    return None


@lru_cache(maxsize=None)
def builtin_entry_points() -> dict[str, dict[str, EntryPoint]]:
    """synthzoo's own entry points by group (see the module docstring for where from)."""
    path = source_pyproject()
    out: dict[str, dict[str, EntryPoint]] = {}
    if path is not None:
        try:
            project = tomllib.loads(path.read_text()).get("project", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise PluginError(f"{path}: cannot read synthzoo's entry points ({exc})") from exc
        if project.get("name") == PROJECT:
            for group, eps in project.get("entry-points", {}).items():
                out[group] = {n: EntryPoint(n, v, group) for n, v in eps.items()}
            return out
    try:
        eps = distribution(PROJECT).entry_points
    except PackageNotFoundError:
        return out
    for ep in eps:
        out.setdefault(ep.group, {})[ep.name] = ep
    return out


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "plugin"


def _is_own(ep: EntryPoint) -> bool:
    return _dist_name(ep).replace("_", "-").lower() == PROJECT


class Registry(Generic[T]):
    """Registry of ``kind`` objects (generators, models, test sets, ...) keyed by name."""

    def __init__(self, kind: str, group: str) -> None:
        self.kind = kind
        self.group = group
        self._registered: dict[str, T] = {}
        self._loaded: dict[str, T] = {}

    # -- registration at run time (tests, notebooks) -------------------------------------
    def register(self, name: str | None = None) -> Callable[[T], T]:
        """Decorator adding an object under ``name`` (default: its ``name`` attribute) for
        this process only; packaged parts use entry points."""

        def deco(obj: T) -> T:
            key = name or getattr(obj, "name", None)
            if not key:
                raise ValueError(f"cannot register {obj!r} as a {self.kind}: it has no name")
            if key in self._registered and self._registered[key] is not obj:
                raise ValueError(f"{self.kind} {key!r} is already registered")
            self._registered[key] = obj
            return obj

        return deco

    def _builtins(self) -> dict[str, EntryPoint]:
        return {n: ep for n, ep in builtin_entry_points().get(self.group, {}).items()
                if n not in self._registered}

    def _plugins(self, *, warn: bool = False) -> dict[str, EntryPoint]:
        taken = set(self._registered) | set(builtin_entry_points().get(self.group, {}))
        eps: dict[str, EntryPoint] = {}
        for ep in entry_points(group=self.group):
            if _is_own(ep):
                continue  # synthzoo's own, read by builtin_entry_points()
            if ep.name in taken:
                if warn:
                    warnings.warn(f"{self.kind} plugin {ep.name!r} ({ep.value}, from "
                                  f"{_dist_name(ep)}) is ignored: a built-in has that name",
                                  PluginWarning, stacklevel=3)
                continue
            eps.setdefault(ep.name, ep)
        return eps

    def _entry_points(self) -> dict[str, EntryPoint]:
        return {**self._plugins(), **self._builtins()}

    # -- lookup -------------------------------------------------------------------------
    def names(self) -> list[str]:
        """All known names, sorted; nothing is imported."""
        return sorted(set(self._registered) | set(self._entry_points()))

    def entries(self) -> list[Entry]:
        out = [Entry(n, "runtime") for n in self._registered]
        out += [Entry(n, "builtin", ep.value) for n, ep in self._builtins().items()]
        out += [Entry(n, _dist_name(ep), ep.value) for n, ep in self._plugins(warn=True).items()]
        return sorted(out, key=lambda e: e.name)

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def get(self, name: str) -> T:
        if name in self._registered:
            return self._registered[name]
        if name in self._loaded:
            return self._loaded[name]
        eps = self._entry_points()
        if name not in eps:
            valid = ", ".join(self.names()) or "(none)"
            raise UnknownNameError(f"unknown {self.kind} {name!r}; available: {valid}")
        what = "built-in" if name in self._builtins() else "plugin"
        try:
            obj = eps[name].load()
        except Exception as exc:  # a broken plugin must not crash the caller silently
            raise PluginError(
                f"{self.kind} {what} {name!r} ({eps[name].value}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        self._loaded[name] = obj
        return obj

    def load_all(self) -> dict[str, T]:
        """Load every entry; broken ones are skipped with a :class:`PluginWarning`."""
        out: dict[str, T] = {}
        self._plugins(warn=True)
        for name in self.names():
            try:
                out[name] = self.get(name)
            except PluginError as exc:
                warnings.warn(str(exc), PluginWarning, stacklevel=2)
        return out


def describe(obj: Any) -> str:
    doc = (getattr(obj, "description", None) or obj.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""
