"""The anatomy-source contract: label maps of real anatomy, a train/held-out split enforced in
code, and look-up tables from the source's labels to training targets.

Volumes are ``uint8 (X, Y, Z)`` label *indices* (into :attr:`AnatomySource.label_values`) in
RAS+ orientation (axis 0 left->right, 1 posterior->anterior, 2 inferior->superior: an axial
slice is ``vol[:, :, k]``) at :attr:`AnatomySource.spacing` mm.

The split: :meth:`AnatomySource.training_volume` refuses held-out subjects and
:meth:`AnatomySource.heldout_volume` refuses training subjects, so generators (which only call
the first) can never read test anatomy, and test sets (which only call the second) never
reuse training anatomy.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np


class SplitError(PermissionError):
    """A subject asked for by the wrong side of the train/held-out split."""


class AnatomyError(RuntimeError):
    """Anatomy that cannot be found, fetched or read; the message names the file and the problem."""


class AnatomySource:
    """A registered source of real label maps (subclass and register with
    ``synthzoo.anatomy.ANATOMY.register()`` or the entry-point group ``synthzoo.anatomy``)."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    license: ClassVar[str] = ""
    citation: ClassVar[str] = ""
    spacing: ClassVar[float] = 1.0
    label_values: ClassVar[tuple[int, ...]] = ()  # source label value of each index
    label_names: ClassVar[tuple[str, ...]] = ()
    subjects: ClassVar[tuple[str, ...]] = ()
    heldout: ClassVar[tuple[str, ...]] = ()
    #: label values of the CSF outside the ventricles (around the brain), which skull strippers
    #: keep or cut: a skull-stripped sample may lose it (``neuro-mri``'s ``p_stripped``)
    outer_csf: ClassVar[tuple[int, ...]] = ()
    #: target name -> (class names, class of each label index)
    targets: ClassVar[dict[str, tuple[tuple[str, ...], tuple[int, ...]]]] = {}

    # -- to implement ---------------------------------------------------------------------
    def _load(self, subject: str, *, offline: bool = False) -> np.ndarray:
        """``uint8 (X, Y, Z)`` label indices of ``subject`` (RAS+, ``spacing`` mm)."""
        raise NotImplementedError

    # -- the split ------------------------------------------------------------------------
    @property
    def train_subjects(self) -> tuple[str, ...]:
        return tuple(s for s in self.subjects if s not in self.heldout)

    def _check(self, subject: str) -> None:
        if subject not in self.subjects:
            raise AnatomyError(f"anatomy {self.name!r}: unknown subject {subject!r}; "
                               f"valid: {', '.join(self.subjects)}")

    def training_volume(self, subject: str, *, offline: bool = False) -> np.ndarray:
        """A training subject's label indices; held-out subjects raise :class:`SplitError`."""
        self._check(subject)
        if subject in self.heldout:
            raise SplitError(f"anatomy {self.name!r}: subject {subject} is held out for test sets; "
                             f"training subjects: {', '.join(self.train_subjects)}")
        return self._load(subject, offline=offline)

    def heldout_volume(self, subject: str, *, offline: bool = False) -> np.ndarray:
        """A held-out subject's label indices (test sets only); training subjects raise
        :class:`SplitError`."""
        self._check(subject)
        if subject not in self.heldout:
            raise SplitError(f"anatomy {self.name!r}: subject {subject} is training anatomy; "
                             f"held-out subjects: {', '.join(self.heldout)}")
        return self._load(subject, offline=offline)

    # -- targets --------------------------------------------------------------------------
    def target(self, name: str) -> tuple[tuple[str, ...], np.ndarray]:
        """``(class names, int64 look-up table label index -> class)`` of target ``name``."""
        if name not in self.targets:
            raise ValueError(f"anatomy {self.name!r}: unknown target {name!r}; "
                             f"valid: {', '.join(self.targets)}")
        names, lut = self.targets[name]
        return tuple(names), np.asarray(lut, dtype=np.int64)

    def info(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "subjects": list(self.subjects),
                "train": list(self.train_subjects), "heldout": list(self.heldout),
                "labels": {int(v): n for v, n in zip(self.label_values, self.label_names)},
                "targets": {k: list(v[0]) for k, v in self.targets.items()},
                "spacing_mm": self.spacing, "license": self.license, "citation": self.citation}
