"""Domain generators: a base contract, samplers, engine components and one module per domain.

``get_generator(name)`` returns a generator class (built-in or plugin); ``create(name, **kw)``
instantiates it.
"""

from synthzoo.generators.engine.base import Generator, Geometry, Sample, State, Step
from synthzoo.generators.registry import GENERATORS
from synthzoo.generators.domains import neuro_mri  # noqa: F401  (registers built-ins)
from synthzoo.generators.domains import fluorescence  # noqa: F401
from synthzoo.generators.domains import em  # noqa: F401
from synthzoo.generators.domains import ultrasound  # noqa: F401
from synthzoo.generators.domains import ct  # noqa: F401
from synthzoo.generators.domains import pet  # noqa: F401
from synthzoo.generators.domains import micro_ct  # noqa: F401


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
