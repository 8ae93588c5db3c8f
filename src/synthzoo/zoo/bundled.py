"""The pretrained models bundled with synthzoo: one weight card and safetensors file each in
``synthzoo/zoo/weights/``, registered by one entry point each in ``pyproject.toml``
(group ``synthzoo.models``): ``NAME = "synthzoo.zoo.bundled:NAME_WITH_UNDERSCORES"``.

An attribute of this module is the :class:`~synthzoo.zoo.models.ModelEntry` of the card whose
file name (``NAME.json``) matches it with ``-`` written ``_``; only that card is read.
"""

from __future__ import annotations

from synthzoo.zoo.models import BUNDLED, ModelEntry


def card_path(name: str):
    """The bundled card file of model ``name``."""
    return BUNDLED / f"{name}.json"


def __getattr__(attr: str) -> ModelEntry:
    if attr.startswith("__"):
        raise AttributeError(attr)
    path = card_path(attr.replace("_", "-"))
    if not path.is_file():
        valid = ", ".join(p.stem.replace("-", "_") for p in sorted(BUNDLED.glob("*.json")))
        raise AttributeError(f"no bundled weight card {path.name} in {BUNDLED}; bundled: {valid}")
    entry = ModelEntry.from_card(path)
    if entry.name != path.stem:
        raise AttributeError(f"{path}: the card's name {entry.name!r} differs from its file name")
    return entry
