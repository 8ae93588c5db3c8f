"""Benchmark suites: which test sets, which models and which sizes ``synthzoo bench run`` runs.

A suite is a named, frozen selection (DomainBed's sweeps are the model: one name fixes what
is compared).  ``--models`` / ``--testsets`` narrow a suite further.

- ``quick``: every test set at its ``quick_size`` (built under ``ROOT/quick``), the first case
  of each contrast, every bundled zoo model and baseline, the networks run once per image as in
  ``main``: a few minutes on 2 CPU cores; what the tests and ``run-default --quick`` use.
- ``main``: every test set at its ``default_size``, the first case of each contrast, every
  bundled zoo model and the ``multi-otsu`` baseline (``kmeans``, within a few thousandths of it
  on every contrast of the published board, is left to ``full``), the networks run once per
  image (no mirror averaging: half the network time; mean foreground Dice moved by -0.0007 on
  average over the main suite's 82 zoo model x contrast means, 77 of them by less than 0.01,
  ``docs/benchmark.md``): the benchmark stage of the main job
  (``synthzoo run-default``).  Its zoo runs are versions of their own (``-nomirror``), so
  ``full`` on the same output reuses only its baseline runs.
- ``full``: every test set at its ``default_size``, every case, every model (the numbers in
  ``docs/benchmark.md`` and the published board ``leaderboard/``).
"""

from __future__ import annotations

from dataclasses import dataclass

SIZES = ("quick", "default")


@dataclass(frozen=True)
class Suite:
    """A benchmark selection: ``testsets`` and ``models`` (``None``: every registered test set /
    every bundled zoo model and baseline) at ``size`` (``"quick"`` or ``"default"``: each
    builder's ``quick_size`` or ``default_size``), the first ``cases_per_contrast`` cases of each
    contrast (``None``: every case).  ``baselines`` narrows the classical baselines of
    ``models=None`` (``None``: all of them).  ``tta``: zoo networks are mirror averaged
    (:func:`~synthzoo.zoo.predict.tta_axes`), as ``synthzoo predict`` does by default; off, they
    run once per image."""

    name: str
    description: str
    size: str
    testsets: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    cases_per_contrast: int | None = None
    baselines: tuple[str, ...] | None = None
    tta: bool = True

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"suite {self.name!r}: size {self.size!r} is not valid; valid: {', '.join(SIZES)}")
        if self.cases_per_contrast is not None and self.cases_per_contrast < 1:
            raise ValueError(f"suite {self.name!r}: cases_per_contrast must be >= 1 or None, "
                             f"got {self.cases_per_contrast}")

    @property
    def quick(self) -> bool:
        return self.size == "quick"


SUITES: dict[str, Suite] = {
    "quick": Suite("quick", "every test set at its quick size, one case per contrast, every model, "
                   "networks run once per image (a few minutes on 2 CPU cores)", "quick",
                   cases_per_contrast=1, tta=False),
    "main": Suite("main", "every test set at its default size, one case per contrast, every zoo model "
                  "run once per image (no mirror averaging) and multi-otsu (the main job's benchmark "
                  "stage)", "default", cases_per_contrast=1, baselines=("multi-otsu",), tta=False),
    "full": Suite("full", "every test set at its default size, every case, every model", "default"),
}
DEFAULT_SUITE = "full"


def get_suite(name: str) -> Suite:
    """The suite called ``name``, or ``ValueError`` listing the valid names."""
    try:
        return SUITES[name]
    except KeyError:
        raise ValueError(f"unknown suite {name!r}; available: {', '.join(SUITES)}") from None
