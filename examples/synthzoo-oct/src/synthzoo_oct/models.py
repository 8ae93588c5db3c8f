"""The package's pretrained models: each weight card ships beside its safetensors file in
``weights/`` and becomes a model entry with :meth:`synthzoo.zoo.models.ModelEntry.from_card`
(the weights are verified against the card's sha256 before use)."""

from __future__ import annotations

from pathlib import Path

from synthzoo.zoo.models import ModelEntry

WEIGHTS = Path(__file__).parent / "weights"

#: domain-randomized: any OCT device
LAYERS = ModelEntry.from_card(WEIGHTS / "oct-retina-layers-unet-2d.json")
#: narrow baseline: the same network and steps, one fixed device
LAYERS_FIXED = ModelEntry.from_card(WEIGHTS / "oct-retina-layers-unet-2d-fixed.json")
