"""The generator registry: built-ins and plugins register through the entry-point group
``synthzoo.generators`` (value: a :class:`~synthzoo.generators.engine.base.Generator` subclass)."""

from synthzoo._registry import Registry

GENERATORS: Registry = Registry("generator", "synthzoo.generators")
