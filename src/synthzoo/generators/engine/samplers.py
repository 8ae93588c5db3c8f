"""Random parameter distributions.

A parameter accepts a plain value or a sampler: ``bias: float | Sampler = Uniform(0.0, 0.5)``.
Samplers draw only from an explicit :class:`torch.Generator` and create tensors on that
generator's device, so the same seed gives the same draw on the same device.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence, Union

import torch

Shape = Sequence[int]


class Sampler:
    """Base class: ``sample(shape, generator=g)`` returns a float32 tensor of ``shape``."""

    def sample(self, shape: Shape = (), *, generator: torch.Generator) -> torch.Tensor:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, **asdict(self)}  # type: ignore[call-overload]

    @property
    def upper(self) -> float:
        """Largest value this sampler can reasonably produce (used to size kernels)."""
        raise NotImplementedError


def _rand(shape: Shape, g: torch.Generator) -> torch.Tensor:
    return torch.rand(tuple(shape), generator=g, device=g.device)


def _randn(shape: Shape, g: torch.Generator) -> torch.Tensor:
    return torch.randn(tuple(shape), generator=g, device=g.device)


@dataclass(frozen=True)
class Fixed(Sampler):
    value: float

    def sample(self, shape: Shape = (), *, generator: torch.Generator) -> torch.Tensor:
        return torch.full(tuple(shape), float(self.value), device=generator.device)

    @property
    def upper(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class Uniform(Sampler):
    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.high >= self.low:
            raise ValueError(f"Uniform needs low <= high, got low={self.low}, high={self.high}")

    def sample(self, shape: Shape = (), *, generator: torch.Generator) -> torch.Tensor:
        return self.low + (self.high - self.low) * _rand(shape, generator)

    @property
    def upper(self) -> float:
        return float(self.high)


@dataclass(frozen=True)
class LogUniform(Sampler):
    low: float
    high: float

    def __post_init__(self) -> None:
        if not 0 < self.low <= self.high:
            raise ValueError(f"LogUniform needs 0 < low <= high, got {self.low}, {self.high}")

    def sample(self, shape: Shape = (), *, generator: torch.Generator) -> torch.Tensor:
        lo, hi = math.log(self.low), math.log(self.high)
        return torch.exp(lo + (hi - lo) * _rand(shape, generator))

    @property
    def upper(self) -> float:
        return float(self.high)


@dataclass(frozen=True)
class Normal(Sampler):
    mean: float
    std: float

    def sample(self, shape: Shape = (), *, generator: torch.Generator) -> torch.Tensor:
        return self.mean + self.std * _randn(shape, generator)

    @property
    def upper(self) -> float:
        return float(self.mean + 3 * self.std)


@dataclass(frozen=True)
class LogNormal(Sampler):
    """``exp(N(mean, std))``."""

    mean: float
    std: float

    def sample(self, shape: Shape = (), *, generator: torch.Generator) -> torch.Tensor:
        return torch.exp(self.mean + self.std * _randn(shape, generator))

    @property
    def upper(self) -> float:
        return float(math.exp(self.mean + 3 * self.std))


@dataclass(frozen=True)
class Bernoulli(Sampler):
    """1.0 with probability ``p``, else 0.0."""

    p: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"Bernoulli needs 0 <= p <= 1, got {self.p}")

    def sample(self, shape: Shape = (), *, generator: torch.Generator) -> torch.Tensor:
        return (_rand(shape, generator) < self.p).float()

    @property
    def upper(self) -> float:
        return 1.0


@dataclass(frozen=True)
class Choice(Sampler):
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.values) == 0:
            raise ValueError("Choice needs at least one value")

    def sample(self, shape: Shape = (), *, generator: torch.Generator) -> torch.Tensor:
        vals = torch.tensor([float(v) for v in self.values], device=generator.device)
        idx = torch.randint(len(self.values), tuple(shape), generator=generator, device=generator.device)
        return vals[idx]

    @property
    def upper(self) -> float:
        return float(max(self.values))


SamplerLike = Union[float, int, Sampler, Sequence[float]]

_BY_NAME = {c.__name__: c for c in (Fixed, Uniform, LogUniform, Normal, LogNormal, Bernoulli, Choice)}


def as_sampler(value: SamplerLike, *, name: str = "parameter") -> Sampler:
    """Turn a plain value into a sampler: a number is fixed, a pair ``(a, b)`` is uniform,
    a dict ``{"type": "Uniform", "low": 0, "high": 1}`` is rebuilt (the JSON form)."""
    if isinstance(value, Sampler):
        return value
    if isinstance(value, bool):
        raise TypeError(f"{name}: expected a number or a sampler, got {value!r}")
    if isinstance(value, (int, float)):
        return Fixed(float(value))
    if isinstance(value, dict):
        kind = value.get("type")
        if kind not in _BY_NAME:
            raise ValueError(f"{name}: unknown sampler type {kind!r}; available: {', '.join(_BY_NAME)}")
        kwargs = {k: v for k, v in value.items() if k != "type"}
        if kind == "Choice":
            kwargs["values"] = tuple(kwargs["values"])
        return _BY_NAME[kind](**kwargs)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return Uniform(float(value[0]), float(value[1]))
    raise TypeError(
        f"{name}: expected a number, a (low, high) pair or a Sampler, got {value!r}"
    )


def symmetric(value: SamplerLike, *, name: str = "parameter") -> Sampler:
    """A number ``r`` means ``Uniform(-r, r)``; anything else as in :func:`as_sampler`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Uniform(-abs(float(value)), abs(float(value)))
    return as_sampler(value, name=name)
