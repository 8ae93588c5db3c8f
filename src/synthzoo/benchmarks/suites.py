"""Benchmark suites: which test sets, which models and which sizes ``synthzoo bench run`` runs.

A suite is a named, frozen selection (DomainBed's sweeps are the model: one name fixes what
is compared).  ``--models`` / ``--testsets`` narrow a suite further.

- ``quick``: every test set at its ``quick_size`` (built under ``ROOT/quick``), every bundled
  zoo model and baseline: about a minute on 2 CPU cores; what the tests and the README use.
- ``full``: every test set at its ``default_size``, every model (the numbers in
  ``docs/benchmark.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

SIZES = ("quick", "default")


@dataclass(frozen=True)
class Suite:
    """A benchmark selection: ``testsets`` and ``models`` (``None``: every registered test set /
    every bundled zoo model and baseline) at ``size`` (``"quick"`` or ``"default"``: each
    builder's ``quick_size`` or ``default_size``)."""

    name: str
    description: str
    size: str
    testsets: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"suite {self.name!r}: size {self.size!r} is not valid; valid: {', '.join(SIZES)}")

    @property
    def quick(self) -> bool:
        return self.size == "quick"


SUITES: dict[str, Suite] = {
    "quick": Suite("quick", "every test set at its quick size, every model (about a minute on 2 CPU cores)",
                   "quick"),
    "full": Suite("full", "every test set at its default size, every model", "default"),
}
DEFAULT_SUITE = "full"


def get_suite(name: str) -> Suite:
    """The suite called ``name``, or ``ValueError`` listing the valid names."""
    try:
        return SUITES[name]
    except KeyError:
        raise ValueError(f"unknown suite {name!r}; available: {', '.join(SUITES)}") from None
