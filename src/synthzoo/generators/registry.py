"""The generator registry: built-ins register here, plugins use the entry-point group
``synthzoo.generators`` (value: a :class:`~synthzoo.generators.engine.base.Generator` subclass)."""

from synthzoo._registry import Registry

GENERATORS: Registry = Registry("generator", "synthzoo.generators")
