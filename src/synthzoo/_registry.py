"""One small generic registry: built-ins register with a decorator, plugins with entry points.

``names()`` lists built-ins and plugin entry points without importing plugins; ``get(name)``
loads a plugin lazily.  An unknown name raises :class:`UnknownNameError` listing the valid
names; a plugin that fails to load gives a :class:`PluginWarning` from ``load_all()`` and a
clear error from ``get()``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """Raised for a name that is neither built in nor provided by a plugin."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0])


class PluginError(RuntimeError):
    """Raised when a plugin entry point exists but cannot be loaded."""


class PluginWarning(UserWarning):
    """Warned when a plugin fails to load while listing everything."""


@dataclass(frozen=True)
class Entry:
    name: str
    source: str  # "builtin" or the distribution that provides the plugin
    entry_point: str | None = None


class Registry(Generic[T]):
    """Registry of ``kind`` objects (generators, models, datasets) keyed by name."""

    def __init__(self, kind: str, group: str) -> None:
        self.kind = kind
        self.group = group
        self._builtins: dict[str, T] = {}
        self._loaded: dict[str, T] = {}

    # -- registration -------------------------------------------------------------------
    def register(self, name: str | None = None) -> Callable[[T], T]:
        """Decorator registering a built-in under ``name`` (default: its ``name`` attribute)."""

        def deco(obj: T) -> T:
            key = name or getattr(obj, "name", None)
            if not key:
                raise ValueError(f"cannot register {obj!r} as a {self.kind}: it has no name")
            if key in self._builtins and self._builtins[key] is not obj:
                raise ValueError(f"{self.kind} {key!r} is already registered")
            self._builtins[key] = obj
            return obj

        return deco

    def _entry_points(self) -> dict[str, EntryPoint]:
        eps = {}
        for ep in entry_points(group=self.group):
            if ep.name not in self._builtins:
                eps.setdefault(ep.name, ep)
        return eps

    # -- lookup -------------------------------------------------------------------------
    def names(self) -> list[str]:
        """All known names, built-ins and plugins, sorted; plugins are not imported."""
        return sorted(set(self._builtins) | set(self._entry_points()))

    def entries(self) -> list[Entry]:
        out = [Entry(n, "builtin") for n in self._builtins]
        for name, ep in self._entry_points().items():
            dist = getattr(ep, "dist", None)
            out.append(Entry(name, dist.name if dist is not None else "plugin", ep.value))
        return sorted(out, key=lambda e: e.name)

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def get(self, name: str) -> T:
        if name in self._builtins:
            return self._builtins[name]
        if name in self._loaded:
            return self._loaded[name]
        eps = self._entry_points()
        if name not in eps:
            valid = ", ".join(self.names()) or "(none)"
            raise UnknownNameError(f"unknown {self.kind} {name!r}; available: {valid}")
        try:
            obj = eps[name].load()
        except Exception as exc:  # a broken plugin must not crash the caller silently
            raise PluginError(
                f"{self.kind} plugin {name!r} ({eps[name].value}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        self._loaded[name] = obj
        return obj

    def load_all(self) -> dict[str, T]:
        """Load every entry; broken plugins are skipped with a :class:`PluginWarning`."""
        out: dict[str, T] = {}
        for name in self.names():
            try:
                out[name] = self.get(name)
            except PluginError as exc:
                warnings.warn(str(exc), PluginWarning, stacklevel=2)
        return out


def describe(obj: Any) -> str:
    doc = (getattr(obj, "description", None) or obj.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""
