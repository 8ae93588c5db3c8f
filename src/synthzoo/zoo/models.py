"""Model factories by name: architectures (``unet``) and pretrained zoo models.

Every model is a :class:`ModelEntry` registered by an entry point (group ``synthzoo.models``):
synthzoo's own in its ``pyproject.toml`` (a weight card bundled in ``synthzoo/zoo/weights/``
is the entry ``synthzoo.zoo.bundled:<card name with _ for ->``), a plugin's in its package's,
usually ``ModelEntry.from_card(path)`` for a card shipped beside its safetensors file.

``create_model(name, pretrained=False)`` builds the network; ``pretrained=True`` loads the
card's weights through :func:`synthzoo.zoo.weights.fetch` (cache, the copy shipped beside the
card, then URLs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from torch import nn

from synthzoo.zoo.card import WeightCard
from synthzoo.zoo.registry import MODELS
from synthzoo.zoo.unet import UNet

BUNDLED = Path(__file__).parent / "weights"


@dataclass(frozen=True)
class ModelEntry:
    """A model name: a factory taking keyword arguments, and the weight card if pretrained
    weights exist (then the card's ``arch_kwargs`` are the factory's defaults)."""

    name: str
    factory: Callable[..., nn.Module]
    card: WeightCard | None = None
    description: str = ""
    #: the folder the weights file ships in (a package's own copy; ``None``: synthzoo's)
    weights_dir: Path | None = None

    @classmethod
    def from_card(cls, path: str | Path) -> "ModelEntry":
        """The entry of the weight card at ``path`` (its weights file beside it)."""
        path = Path(path)
        card = WeightCard.load(path)
        if card.architecture not in ARCHITECTURES:
            raise ValueError(f"{path}: unknown architecture {card.architecture!r}; "
                             f"valid: {', '.join(ARCHITECTURES)}")
        return cls(card.name, ARCHITECTURES[card.architecture], card, card.description, path.parent)


def _unet(**kwargs: Any) -> nn.Module:
    return UNet(**kwargs)


ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {"unet": _unet}

#: the architecture entry (entry point ``unet``)
UNET = ModelEntry("unet", _unet, None, "Configurable 2D/3D U-Net (SynthSeg defaults: 5 levels, 24 features)")


def bundled_cards() -> list[WeightCard]:
    """The weight cards shipped in ``synthzoo/zoo/weights/``."""
    return [WeightCard.load(p) for p in sorted(BUNDLED.glob("*.json"))]


def pretrained() -> dict[str, ModelEntry]:
    """Every registered model with a weight card (built-in and plugin), by name."""
    return {n: e for n, e in MODELS.load_all().items() if getattr(e, "card", None) is not None}


def get_entry(name: str) -> ModelEntry:
    entry = MODELS.get(name)
    if not isinstance(entry, ModelEntry):
        raise TypeError(f"model {name!r}: registry value must be a ModelEntry, got {type(entry).__name__}")
    return entry


def get_card(name: str) -> WeightCard:
    entry = get_entry(name)
    if entry.card is None:
        pretrained = ", ".join(n for n, e in MODELS.load_all().items() if getattr(e, "card", None))
        raise ValueError(f"model {name!r} has no pretrained weights; pretrained models: {pretrained or '(none)'}")
    return entry.card


def create_model(name: str, pretrained: bool = False, *, offline: bool = False, **kwargs: Any) -> nn.Module:
    """Build model ``name``; ``pretrained=True`` loads its verified weights (safetensors)."""
    entry = get_entry(name)
    if entry.card is not None:
        kwargs = {**entry.card.arch_kwargs, **kwargs}
    model = entry.factory(**kwargs)
    if pretrained:
        from synthzoo.zoo.weights import load_weights

        card = get_card(name)
        if kwargs != card.arch_kwargs:
            raise ValueError(f"model {name!r}: pretrained weights need the card's arguments "
                             f"{card.arch_kwargs}, got {kwargs}")
        load_weights(model, card, offline=offline, folder=entry.weights_dir)
    return model


def model_table() -> list[dict[str, Any]]:
    """Every registered model with a card (pretrained), as ``zoo list`` rows."""
    return [e.card.summary() for e in pretrained().values()]
