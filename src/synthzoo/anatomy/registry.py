"""The anatomy-source registry: built-ins register here, plugins use the entry-point group
``synthzoo.anatomy`` (value: an :class:`~synthzoo.anatomy.base.AnatomySource` subclass)."""

from synthzoo._registry import Registry

ANATOMY: Registry = Registry("anatomy source", "synthzoo.anatomy")
