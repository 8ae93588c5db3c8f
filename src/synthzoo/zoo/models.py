"""Model factories by name: architectures (``unet``) and pretrained zoo models (one per
weight card bundled in ``synthzoo/zoo/weights/``).

``create_model(name, pretrained=False)`` builds the network; ``pretrained=True`` loads the
card's weights through :func:`synthzoo.zoo.weights.fetch` (cache, bundled copy, then URLs).
A plugin registers a :class:`ModelEntry` under the entry-point group ``synthzoo.models``.
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


def _unet(**kwargs: Any) -> nn.Module:
    return UNet(**kwargs)


ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {"unet": _unet}

MODELS.register("unet")(ModelEntry("unet", _unet, None, "Configurable 2D/3D U-Net (SynthSeg defaults: 5 levels, 24 features)"))


def bundled_cards() -> list[WeightCard]:
    return [WeightCard.load(p) for p in sorted(BUNDLED.glob("*.json"))]


def _register_bundled() -> None:
    for card in bundled_cards():
        if card.architecture not in ARCHITECTURES:
            raise ValueError(f"bundled card {card.name!r}: unknown architecture {card.architecture!r}; "
                             f"valid: {', '.join(ARCHITECTURES)}")
        MODELS.register(card.name)(ModelEntry(card.name, ARCHITECTURES[card.architecture], card,
                                              card.description))


_register_bundled()


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
        load_weights(model, card, offline=offline)
    return model


def model_table() -> list[dict[str, Any]]:
    """Every registered model with a card (pretrained), as ``zoo list`` rows."""
    rows = []
    for name, entry in MODELS.load_all().items():
        card = getattr(entry, "card", None)
        if card is not None:
            rows.append(card.summary())
    return rows
