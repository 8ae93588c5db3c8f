import pytest
import torch

from synthzoo.zoo import weights
from synthzoo.zoo.models import ModelEntry, _unet
from synthzoo.zoo.registry import MODELS
from synthzoo.zoo.unet import UNet
from zoo_helpers import TINY_KW, tiny_card


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("SYNTHZOO_CACHE", str(root))
    return root / "weights"


@pytest.fixture
def tiny(tmp_path, monkeypatch, cache):
    """A registered tiny pretrained 2D model (random weights) 'bundled' in a temp folder."""
    from safetensors.torch import save_file

    torch.manual_seed(0)
    model = UNet(**TINY_KW)
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    path = bundled / "tiny-test-2d.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    card = tiny_card(weights.sha256_file(path))
    monkeypatch.setattr(weights, "BUNDLED", bundled)
    MODELS._registered["tiny-test-2d"] = ModelEntry("tiny-test-2d", _unet, card)
    yield card
    MODELS._registered.pop("tiny-test-2d", None)
