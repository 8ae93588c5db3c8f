"""The generator contract.

A generator is a :class:`torch.nn.Module` made of steps.  Labels ``int64 (B, 1, *spatial)``
go in (generation labels ``0..n_labels-1``); a :class:`Sample` comes out with an image
``float32 (B, C, *spatial_out)`` and target labels ``int64 (B, 1, *spatial_out)``.

Randomness comes only from an explicit :class:`torch.Generator`.  Drawing is separate from
applying: ``params = gen.sample_params(labels, generator=g)`` then
``gen.apply(labels, params=params)``, so a sample can be replayed exactly and its parameters
recorded (``Sample.params_json()``).  Per-voxel noise fields are not stored; a step stores the
integer seed it draws them from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

import torch
from torch import nn

Params = dict[str, Any]


@dataclass(frozen=True)
class Geometry:
    """What a step needs to know to draw its parameters."""

    batch: int
    spatial: tuple[int, ...]
    n_labels: int
    device: torch.device
    spacing: tuple[float, ...]

    @property
    def dims(self) -> int:
        return len(self.spatial)


@dataclass
class State:
    """Tensors flowing through the steps.  ``labels`` are generation labels,
    ``image`` is ``None`` until an intensity model creates it."""

    labels: torch.Tensor
    image: torch.Tensor | None = None
    spacing: tuple[float, ...] = ()


def draw_seed(generator: torch.Generator) -> torch.Tensor:
    """An integer seed drawn from ``generator`` (for per-voxel noise fields)."""
    return torch.randint(0, 2**62, (), generator=generator, device=generator.device).cpu()


def seeded(seed: torch.Tensor | int, device: torch.device | str) -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


class Step(nn.Module):
    """One component of a generator: ``sample_params(geometry, generator=g)`` then
    ``apply(state, params=p)``.  Steps are usable alone."""

    def sample_params(self, geom: Geometry, /, *, generator: torch.Generator) -> Params:
        return {}

    def apply(self, state: State, /, *, params: Params) -> State:
        raise NotImplementedError

    def output_geometry(self, geom: Geometry) -> Geometry:
        return geom

    def config(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": type(self).__name__}
        for k, v in vars(self).items():
            if k.startswith("_") or k == "training":
                continue
            out[k] = _jsonable(v)
        return out

    def forward(self, state: State, /, *, generator: torch.Generator) -> State:  # pragma: no cover
        geom = Geometry(
            state.labels.shape[0], tuple(state.labels.shape[2:]), int(state.labels.max()) + 1,
            state.labels.device, state.spacing or (1.0,) * (state.labels.dim() - 2),
        )
        return self.apply(state, params=self.sample_params(geom, generator=generator))


def _jsonable(v: Any) -> Any:
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if isinstance(v, torch.Tensor):
        return v.detach().cpu().tolist()
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    if isinstance(v, nn.Module):
        return type(v).__name__
    return repr(v)


@dataclass
class Sample:
    """A batch of synthetic images with their target labels and the parameters that made it."""

    image: torch.Tensor  # float32 (B, C, *spatial)
    labels: torch.Tensor  # int64 (B, 1, *spatial), target labels
    params: list[Params] = field(default_factory=list)
    spacing: tuple[float, ...] = ()

    def params_json(self, index: int | None = None) -> str:
        """The drawn parameters as JSON (all samples, or sample ``index`` of the batch)."""
        if index is None:
            data = _jsonable(self.params)
        else:
            data = [_select(p, index) for p in self.params]
        return json.dumps(data, indent=1)


def _select(p: Any, i: int) -> Any:
    if isinstance(p, dict):
        return {k: _select(v, i) for k, v in p.items()}
    if isinstance(p, torch.Tensor):
        return p[i].detach().cpu().tolist() if p.dim() > 0 else p.item()
    return _jsonable(p)


class Generator(nn.Module):
    """Base class of domain generators.

    Subclasses set the class attributes and build ``steps`` (a list of :class:`Step`), the
    number of generation labels ``n_labels`` and the look-up table ``target_lut`` mapping
    generation labels to output labels (labels can be generated but dropped from the target,
    as SynthSeg does with non-brain labels).
    """

    name: ClassVar[str] = ""
    domain: ClassVar[str] = ""
    dims: ClassVar[tuple[int, ...]] = (2, 3)
    #: unit of ``spacing`` (and of the models trained on it): "mm", or "um" for microscopy
    spacing_unit: ClassVar[str] = "mm"
    description: ClassVar[str] = ""

    def __init__(
        self,
        steps: Sequence[Step],
        *,
        n_labels: int,
        label_names: Sequence[str],
        target_lut: Sequence[int] | None = None,
        spacing: float = 1.0,
    ) -> None:
        super().__init__()
        self.steps = nn.ModuleList(steps)
        self.n_labels = int(n_labels)
        self.label_names = tuple(label_names)
        lut = list(range(n_labels)) if target_lut is None else [int(t) for t in target_lut]
        if len(lut) != n_labels:
            raise ValueError(f"target_lut has {len(lut)} entries, expected n_labels={n_labels}")
        if min(lut) < 0 or max(lut) >= len(self.label_names):
            raise ValueError(
                f"target_lut values must lie in [0, {len(self.label_names)}) (one per label name)"
            )
        self.register_buffer("target_lut", torch.tensor(lut, dtype=torch.long), persistent=False)
        self.spacing = float(spacing)

    # -- contract -----------------------------------------------------------------------
    def check_labels(self, labels: torch.Tensor) -> None:
        if not isinstance(labels, torch.Tensor):
            raise TypeError(f"labels must be a torch.Tensor, got {type(labels).__name__}")
        if labels.dtype != torch.long:
            raise TypeError(f"labels must be int64 (B, 1, *spatial), got dtype {labels.dtype}")
        if labels.dim() - 2 not in self.dims or labels.shape[1] != 1:
            raise ValueError(
                f"{self.name}: labels must be (B, 1, *spatial) with {self.dims} spatial dims, "
                f"got shape {tuple(labels.shape)}"
            )
        lo, hi = (int(v) for v in torch.aminmax(labels))  # one pass over the labels
        if lo < 0 or hi >= self.n_labels:
            raise ValueError(
                f"{self.name}: label values must lie in [0, {self.n_labels - 1}], got [{lo}, {hi}]"
            )

    @property
    def synthesis_spacing(self) -> float:
        """The voxel size (mm) the label maps given to the steps are at; the output is at
        :attr:`spacing`.  The same unless a subclass synthesizes on a finer grid and
        averages onto the output grid in :meth:`to_output` (partial volume)."""
        return self.spacing

    def to_output(self, image: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The image and target on the output grid (here unchanged)."""
        return image, target

    def geometry(self, labels: torch.Tensor) -> Geometry:
        d = labels.dim() - 2
        return Geometry(labels.shape[0], tuple(labels.shape[2:]), self.n_labels, labels.device,
                        (self.synthesis_spacing,) * d)

    def sample_params(self, labels: torch.Tensor, /, *, generator: torch.Generator) -> list[Params]:
        """Draw the parameters of every step for this batch of label maps."""
        self.check_labels(labels)
        if torch.device(generator.device).type != labels.device.type:
            raise ValueError(
                f"generator is on {generator.device} but labels are on {labels.device}; "
                "create the torch.Generator on the labels' device"
            )
        geom = self.geometry(labels)
        out = []
        for step in self.steps:
            out.append(step.sample_params(geom, generator=generator))
            geom = step.output_geometry(geom)
        return out

    def apply(self, labels: torch.Tensor, /, *, params: list[Params]) -> Sample:
        """Apply drawn parameters: deterministic given ``params``."""
        self.check_labels(labels)
        if len(params) != len(self.steps):
            raise ValueError(f"expected parameters for {len(self.steps)} steps, got {len(params)}")
        d = labels.dim() - 2
        state = State(labels, None, (self.synthesis_spacing,) * d)
        for step, p in zip(self.steps, params):
            state = step.apply(state, params=p)
        if state.image is None:
            raise RuntimeError(f"{self.name}: no step created an image")
        image, target = self.to_output(state.image.float(), self.make_target(state.labels))
        spacing = state.spacing if self.synthesis_spacing == self.spacing else (self.spacing,) * d
        return Sample(image, target, params, spacing)

    def make_target(self, labels: torch.Tensor) -> torch.Tensor:
        """The target of the final generation labels ``int64 (B, 1, *spatial)``: the look-up
        ``target_lut`` (a subclass may derive more, e.g. object boundaries)."""
        return torch.take(self.target_lut.to(labels.device), labels)

    def forward(self, labels: torch.Tensor, /, *, generator: torch.Generator) -> Sample:
        return self.apply(labels, params=self.sample_params(labels, generator=generator))

    def default_labels(
        self, *, batch: int = 1, size: int | Sequence[int] = 64, dims: int = 3,
        generator: torch.Generator,
    ) -> torch.Tensor:
        """Label maps this domain trains on when no data is given, ``int64 (B, 1, *size)``."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        return {
            "generator": self.name,
            "domain": self.domain,
            "n_labels": self.n_labels,
            "label_names": list(self.label_names),
            "target_lut": self.target_lut.tolist(),
            "spacing": self.spacing,
            "steps": [s.config() for s in self.steps],
        }


def as_size(size: int | Sequence[int], dims: int) -> tuple[int, ...]:
    if isinstance(size, int):
        return (size,) * dims
    size = tuple(int(s) for s in size)
    if len(size) != dims:
        raise ValueError(f"size {size} does not have {dims} entries")
    return size


__all__ = [
    "Generator", "Geometry", "Params", "Sample", "State", "Step", "as_size", "draw_seed",
    "seeded",
]
