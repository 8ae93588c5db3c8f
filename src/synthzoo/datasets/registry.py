"""The test-set registry: built-ins and plugins register through the entry-point group
``synthzoo.datasets`` (value: a :class:`~synthzoo.datasets.base.TestSetBuilder` subclass)."""

from synthzoo._registry import Registry

DATASETS: Registry = Registry("test set", "synthzoo.datasets")


def get_builder(name: str):
    """An instance of the builder registered as ``name`` (built-in or plugin)."""
    return DATASETS.get(name)()
