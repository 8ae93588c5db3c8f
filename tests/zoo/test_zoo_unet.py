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


@pytest.mark.parametrize("dims,norm,multiplier", [(2, "instance", 2), (3, "instance", 2), (2, "batch", 2),
                                                  (2, "none", 3)])
def test_widen_keeps_the_function_and_grows_every_level(dims, norm, multiplier):
    from synthzoo.zoo.unet import widen

    torch.manual_seed(0)
    net = UNet(dims=dims, levels=3, features=4, multiplier=multiplier, out_channels=3, norm=norm)
    with torch.no_grad():  # trained-looking normalisation: not the identity it starts as
        for mod in net.modules():
            if isinstance(mod, (torch.nn.BatchNorm2d, torch.nn.InstanceNorm2d, torch.nn.InstanceNorm3d)):
                mod.weight.uniform_(0.5, 2)
                mod.bias.normal_()
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.normal_()
                mod.running_var.uniform_(0.5, 2)
    net.eval()
    x = torch.randn(2, 1, *([16] * dims))
    wide = widen(net, 7).eval()  # 7 = 4 + 3: some channels copied once, none twice
    assert wide.kwargs == {**net.kwargs, "features": 7}
    assert [b[0].out_channels for b in wide.down] == [7 * multiplier**k for k in range(3)]
    ref = net(x)
    assert torch.allclose(wide(x), ref, atol=1e-4)
    assert torch.allclose(widen(net, 12).eval()(x), ref, atol=1e-4)  # each channel copied twice
    noisy = widen(net, 8, noise=0.05, generator=torch.Generator().manual_seed(1)).eval()
    gap = (noisy(x) - ref).abs().max()
    assert 0 < gap < 0.5 * ref.abs().max()  # symmetry broken, function nearly kept


def test_widen_copies_get_different_gradients_only_with_noise():
    from synthzoo.zoo.unet import widen

    torch.manual_seed(0)
    net = UNet(dims=2, levels=2, features=2, out_channels=2)
    x, y = torch.randn(2, 1, 8, 8), torch.randint(0, 2, (2, 8, 8))
    for noise, differ in ((0.0, False), (0.1, True)):
        wide = widen(net, 4, noise=noise, generator=torch.Generator().manual_seed(0))
        torch.nn.functional.cross_entropy(wide(x), y).backward()
        g = wide.down[0][0].weight.grad  # output channels 2, 3 copy 0, 1
        assert torch.allclose(g[:2], g[2:], atol=1e-7) != differ


def test_widen_refuses_narrowing_and_group_norm():
    from synthzoo.zoo.unet import widen

    with pytest.raises(ValueError, match="narrower than the model's 8"):
        widen(UNet(dims=2, levels=2, features=8), 4)
    with pytest.raises(ValueError, match="group norm mixes channels"):
        widen(UNet(dims=2, levels=2, features=8, norm="group"), 16)


def test_widen_weights_script_writes_a_wider_card_network_and_never_overwrites(tmp_path, capsys):
    """scripts/widen_weights.py: a card's weights in, the wider network's weights out (same
    function at noise 0), its sha256 printed; an existing --out is refused and left as it was."""
    import importlib.util
    import json
    from pathlib import Path

    from safetensors.torch import load_file, save_file

    from synthzoo._fetch import sha256_file

    spec = importlib.util.spec_from_file_location(
        "widen_weights", Path(__file__).resolve().parents[2] / "scripts" / "widen_weights.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    torch.manual_seed(0)
    kw = dict(dims=2, in_channels=1, out_channels=3, levels=3, features=4, norm="instance")
    net = UNet(**kw).eval()
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp_path / "m.safetensors"))
    (tmp_path / "m.json").write_text(json.dumps({"arch_kwargs": net.kwargs, "weights_file": "m.safetensors",
                                                 "dims": 2, "in_channels": 1, "patch_size": [16, 16]}))
    out = tmp_path / "wide" / "m-w6.safetensors"
    assert mod.main(["m", "--bundle", str(tmp_path), "--features", "6", "--noise", "0", "--out", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sha256"] == sha256_file(out) and report["features"] == [4, 6]
    assert report["max_logit_change"] < 1e-4
    wide = UNet(**{**net.kwargs, "features": 6}).eval()
    wide.load_state_dict(load_file(str(out)), strict=True)
    x = torch.randn(1, 1, 16, 16)
    assert torch.allclose(wide(x), net(x), atol=1e-4)
    before = out.read_bytes()
    assert mod.main(["m", "--bundle", str(tmp_path), "--features", "8", "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err and out.read_bytes() == before
    assert mod.main(["nope", "--bundle", str(tmp_path), "--features", "8", "--out", str(tmp_path / "x")]) == 2
