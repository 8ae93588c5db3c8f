"""Weight cards: a frozen description of one set of pretrained weights, stored as JSON.

A card says what the weights are for (task, domain, labels), what input they expect
(dims, channels, spacing and its unit, patch size, intensity normalisation), how they were made
(architecture and its arguments, training generator config, the exact command, steps, seed,
wall time, hardware), how well they did (metrics), under which license, and where to get
them (sha256 of the safetensors file, URLs).  Cards are data: read with ``json``, never
evaluated.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthzoo._io import write_text

NORMALISATIONS = ("minmax", "percentile", "zscore", "none")
#: units of ``spacing``: millimetres (MRI, CT, PET, ultrasound, micro-CT) or micrometres
#: (microscopy), each with its length in micrometres
UNIT_UM = {"mm": 1000.0, "um": 1.0}
SPACING_UNITS = tuple(UNIT_UM)


class CardError(ValueError):
    """A weight card that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class WeightCard:
    name: str
    architecture: str
    arch_kwargs: dict[str, Any]
    task: str
    domain: str
    dims: int
    in_channels: int
    label_names: tuple[str, ...]
    spacing: float
    patch_size: tuple[int, ...]
    normalisation: str = "minmax"
    weights_file: str = ""
    sha256: str = ""
    urls: tuple[str, ...] = ()
    license: str = "Apache-2.0"
    baseline: bool = False
    generator: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    spacing_unit: str = "mm"

    def __post_init__(self) -> None:
        if self.spacing_unit not in SPACING_UNITS:
            raise CardError(f"card {self.name!r}: unknown spacing_unit {self.spacing_unit!r}; "
                            f"valid: {', '.join(SPACING_UNITS)}")
        if self.dims not in (2, 3):
            raise CardError(f"card {self.name!r}: dims must be 2 or 3, got {self.dims}")
        if self.normalisation not in NORMALISATIONS:
            raise CardError(f"card {self.name!r}: unknown normalisation {self.normalisation!r}; "
                            f"valid: {', '.join(NORMALISATIONS)}")
        if len(self.patch_size) != self.dims:
            raise CardError(f"card {self.name!r}: patch_size {self.patch_size} needs {self.dims} entries")

    @property
    def n_classes(self) -> int:
        return len(self.label_names)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for k in ("label_names", "patch_size", "urls"):
            d[k] = list(d[k])
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "card") -> "WeightCard":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise CardError(f"{source}: unknown card fields {unknown}; valid: {sorted(names)}")
        required = [f.name for f in dataclasses.fields(cls)
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        missing = [k for k in required if k not in data]
        if missing:
            raise CardError(f"{source}: missing card fields {missing}")
        data = dict(data)
        for k in ("label_names", "patch_size", "urls"):
            if k in data:
                data[k] = tuple(data[k])
        try:
            return cls(**data)
        except CardError as exc:
            raise CardError(f"{source}: {exc}") from exc

    @classmethod
    def from_json(cls, text: str, *, source: str = "card") -> "WeightCard":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CardError(f"{source}: not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise CardError(f"{source}: a card must be a JSON object")
        return cls.from_dict(data, source=source)

    @classmethod
    def load(cls, path: str | Path) -> "WeightCard":
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as exc:
            raise CardError(f"{path}: cannot read card ({exc})") from exc
        return cls.from_json(text, source=str(path))

    def save(self, path: str | Path) -> Path:
        return write_text(path, self.to_json() + "\n")

    def summary(self) -> dict[str, Any]:
        """The short listing row (``synthzoo zoo list``)."""
        return {"name": self.name, "domain": self.domain, "task": self.task, "dims": self.dims,
                "baseline": self.baseline, "sha256": self.sha256, "architecture": self.architecture,
                "labels": list(self.label_names), "spacing": self.spacing, "spacing_unit": self.spacing_unit}
