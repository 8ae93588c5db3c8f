"""Domain generators.

- ``engine/``: what a domain subclasses and composes -- the contract (``base``: Generator,
  Step, Sample), samplers, spatial and intensity steps, separable filters, label-map tools;
- ``physics/``: forward models and shape makers shared by several domains (tomography,
  packings and warps, head anatomy);
- ``domains/``: one module per domain, each registered by one entry point in
  ``pyproject.toml`` (group ``synthzoo.generators``), as plugins are;
- ``tools/``: previews and the ``synthzoo generate`` commands.

``get_generator(name)`` returns a generator class (built-in or plugin); ``create(name, **kw)``
instantiates it.
"""

from synthzoo.generators.engine.base import Generator, Geometry, Sample, State, Step
from synthzoo.generators.registry import GENERATORS


def get_generator(name: str) -> type[Generator]:
    return GENERATORS.get(name)


def create(name: str, **kwargs) -> Generator:
    """Instantiate the generator registered as ``name`` with keyword overrides."""
    cls = GENERATORS.get(name)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise TypeError(f"generator {name!r}: {exc}") from exc


__all__ = ["GENERATORS", "Generator", "Geometry", "Sample", "State", "Step", "create", "get_generator"]
