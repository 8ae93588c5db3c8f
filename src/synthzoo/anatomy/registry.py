"""The anatomy-source registry: built-ins and plugins register through the entry-point group
``synthzoo.anatomy`` (value: an :class:`~synthzoo.anatomy.base.AnatomySource` subclass)."""

from synthzoo._registry import Registry

ANATOMY: Registry = Registry("anatomy source", "synthzoo.anatomy")
