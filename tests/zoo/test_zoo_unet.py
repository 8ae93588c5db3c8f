import pytest
import torch

from synthzoo.zoo.unet import UNet


@pytest.mark.parametrize("dims,shape", [(2, (2, 1, 16, 24)), (3, (1, 1, 8, 8, 16))])
def test_unet_shapes(dims, shape):
    net = UNet(dims=dims, in_channels=1, out_channels=5, levels=3, features=4)
    out = net(torch.randn(shape))
    assert out.shape == (shape[0], 5, *shape[2:])
    assert torch.isfinite(out).all()


def test_unet_defaults_are_synthseg():
    net = UNet(dims=3)
    assert net.kwargs["levels"] == 5 and net.kwargs["features"] == 24
    assert net.divisor() == 16
    # features double per level: the deepest block has 24 * 2**4 channels
    assert net.down[-1][0].out_channels == 384


@pytest.mark.parametrize("norm", ["instance", "batch", "group", "none"])
@pytest.mark.parametrize("act", ["elu", "relu"])
def test_unet_options(norm, act):
    net = UNet(dims=2, levels=2, features=4, norm=norm, activation=act)
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 4, 8, 8)


def test_unet_errors():
    with pytest.raises(ValueError, match="unknown norm 'layer'; valid: instance"):
        UNet(norm="layer")
    with pytest.raises(ValueError, match="dims must be 2 or 3"):
        UNet(dims=4)
    net = UNet(dims=2, levels=3, features=4)
    with pytest.raises(ValueError, match="multiples of 4"):
        net(torch.randn(1, 1, 10, 8))
    with pytest.raises(ValueError, match="2 spatial dims"):
        net(torch.randn(1, 1, 8, 8, 8))
