"""The model registry: built-ins and plugins register through the entry-point group
``synthzoo.models`` (value: a :class:`~synthzoo.zoo.models.ModelEntry`)."""

from synthzoo._registry import Registry

MODELS: Registry = Registry("model", "synthzoo.models")
