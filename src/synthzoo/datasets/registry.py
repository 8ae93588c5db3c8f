"""The test-set registry: built-ins and plugins register through the entry-point group
``synthzoo.datasets`` (value: a :class:`~synthzoo.datasets.base.TestSetBuilder` subclass)."""

from synthzoo._registry import Registry

DATASETS: Registry = Registry("test set", "synthzoo.datasets")


def get_builder(name: str):
    """An instance of the builder registered as ``name`` (built-in or plugin)."""
    return DATASETS.get(name)()


def targets(testset) -> dict[str, tuple[str, ...]]:
    """Every target a case of ``testset`` (a test-set card or builder: its ``name`` and
    ``label_names``) can be scored on, array name -> label names: ``labels`` first, then the
    registered builder's ``extra_targets`` (e.g. the ``brain`` mask of neuro-contrasts)."""
    extra = getattr(DATASETS.get(testset.name), "extra_targets", {}) if testset.name in DATASETS.names() else {}
    return {"labels": tuple(testset.label_names), **{k: tuple(v) for k, v in extra.items()}}
