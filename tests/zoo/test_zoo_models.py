import sys

import pytest
import torch

from synthzoo._registry import PluginWarning, UnknownNameError
from synthzoo.zoo.models import create_model, model_table
from synthzoo.zoo.registry import MODELS
from synthzoo.zoo.unet import UNet


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """An installed distribution (dist-info on sys.path) with two synthzoo.models entry points:
    one working, one whose module does not import."""
    (tmp_path / "zooplug.py").write_text(
        "import torch\n"
        "from synthzoo.zoo.models import ModelEntry\n"
        "def build(**kw):\n"
        "    return torch.nn.Conv2d(1, kw.get('out_channels', 2), 1)\n"
        "ENTRY = ModelEntry('plug-net', build, None, 'a plugin model')\n")
    info = tmp_path / "zooplug-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: zooplug\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[synthzoo.models]\nplug-net = zooplug:ENTRY\nbroken-net = zooplug_missing:ENTRY\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    MODELS._loaded.clear()
    sys.modules.pop("zooplug", None)


def test_plugin_model(plugin):
    assert {"plug-net", "broken-net", "unet"} <= set(MODELS.names())
    net = create_model("plug-net", out_channels=3)
    assert net(torch.zeros(1, 1, 4, 4)).shape == (1, 3, 4, 4)
    with pytest.warns(PluginWarning, match="broken-net"):
        rows = model_table()
    assert all(r["name"] != "plug-net" for r in rows)  # no card: not a pretrained model


def test_create_unet_and_unknown_name():
    net = create_model("unet", dims=2, levels=2, features=4)
    assert isinstance(net, UNet) and net.kwargs["features"] == 4
    with pytest.raises(UnknownNameError, match="unknown model 'unetz'; available: .*unet"):
        create_model("unetz")
