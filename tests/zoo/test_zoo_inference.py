"""Slab-wise sliding-window inference (synthzoo.zoo.inference): the same probabilities as
blending over the whole image at once, input read one slab at a time, labels from Dask."""

import itertools
import math

import dask.array as da
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from synthzoo.zoo.inference import gaussian_importance, plan, sliding_window, sliding_window_dask
from synthzoo.zoo.unet import UNet


def _whole_image_blend(model, image, patch, *, n_classes, overlap, divisor=1):
    """Reference: every window's weighted softmax summed into full-size buffers, then divided."""
    grid = plan(image.shape[2:], patch, overlap=overlap, divisor=divisor)
    pad = []
    for s, t in reversed(list(zip(grid.spatial, grid.padded))):
        pad += [(t - s) // 2, t - s - (t - s) // 2]
    x = F.pad(image, pad)
    w = gaussian_importance(grid.win)
    out = torch.zeros((image.shape[0], n_classes, *grid.padded))
    norm = torch.zeros(grid.padded)
    for corner in itertools.product(*grid.starts):
        s = tuple(slice(c, c + n) for c, n in zip(corner, grid.win))
        out[(slice(None), slice(None)) + s] += model(x[(slice(None), slice(None)) + s]).softmax(1) * w
        norm[s] += w
    crop = tuple(slice(o, o + n) for o, n in zip(grid.offset, grid.spatial))
    return (out / norm)[(slice(None), slice(None)) + crop]


def _model(dims, k=3, seed=0):
    torch.manual_seed(seed)
    return UNet(dims=dims, in_channels=1, out_channels=k, levels=2, features=4).eval()


@pytest.mark.parametrize("shape,patch,overlap", [
    ((37, 50), (16, 16), 0.5), ((37, 50), (16, 16), 0.25), ((64, 33), (16, 16), 0.0),
    ((10, 12), (16, 16), 0.5),  # smaller than a window: padded
    ((19, 23, 26), (8, 8, 8), 0.25), ((30, 9, 17), (8, 8, 8), 0.6)])
def test_slabs_equal_blending_over_the_whole_image(shape, patch, overlap):
    model = _model(len(shape))
    x = torch.randn(2, 1, *shape)
    with torch.no_grad():
        ref = _whole_image_blend(model, x, patch, n_classes=3, overlap=overlap, divisor=2)
        got = sliding_window(model, x, patch, n_classes=3, overlap=overlap, divisor=2)
    assert got.shape == (2, 3, *shape)
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(got.sum(1), torch.ones(2, *shape))


class _Recorder:
    """A lazily read array that records the row ranges read along the first axis."""

    def __init__(self, arr):
        self.arr, self.shape, self.reads = arr, arr.shape, []

    def __getitem__(self, key):
        rows = key[0]
        self.reads.append(rows.stop - rows.start)
        return self.arr[key]


def test_dask_labels_equal_in_memory_labels_and_the_input_is_read_slab_by_slab():
    model = _model(3, k=4)
    vol = np.random.default_rng(1).random((70, 21, 18)).astype(np.float32)
    lazy = _Recorder(da.from_array(vol, chunks=(16, 21, 18)))
    calls = []
    out = sliding_window_dask(model, lazy, (12, 12, 12), n_classes=4, overlap=0.25, divisor=2,
                              progress=lambda d, t: calls.append((d, t)))
    with torch.no_grad():
        ref = sliding_window(model, torch.from_numpy(vol)[None, None], (12, 12, 12), n_classes=4,
                             overlap=0.25, divisor=2)[0].argmax(0).numpy()
    assert out.dtype == np.uint8 and out.shape == vol.shape
    np.testing.assert_array_equal(out, ref)
    grid = plan(vol.shape, (12, 12, 12), overlap=0.25, divisor=2)
    # one read per row of windows, each at most one window thick: never the whole volume
    assert len(lazy.reads) == len(grid.starts[0]) and max(lazy.reads) <= 12
    assert calls[-1] == (grid.n_windows, grid.n_windows)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_dask_labels_go_into_a_given_array_and_shapes_are_checked():
    model = _model(2, k=2)
    img = da.from_array(np.random.default_rng(2).random((40, 24)).astype(np.float32), chunks=8)
    target = np.full((40, 24), 9, np.uint8)
    assert sliding_window_dask(model, img, (16, 16), n_classes=2, out=target) is target
    assert set(np.unique(target)) <= {0, 1}
    with pytest.raises(ValueError, match=r"out has shape \(40, 23\); the image has \(40, 24\)"):
        sliding_window_dask(model, img, (16, 16), n_classes=2, out=np.zeros((40, 23), np.uint8))
    with pytest.raises(ValueError, match="overlap must be in"):
        plan((40, 24), (16, 16), overlap=1.0)


def test_grid_counts_windows_per_axis():
    g = plan((1500, 1500), (64, 64), overlap=0.25)
    assert g.win == (64, 64) and len(g.starts[0]) == math.ceil((1500 - 64) / 48) + 1
    assert g.n_windows == len(g.starts[0]) ** 2
    assert g.starts[0][0] == 0 and g.starts[0][-1] == 1500 - 64


# --- precision: the network in bfloat16 where the device computes it natively ---------------

def test_resolve_precision_auto_env_and_bad_values(monkeypatch):
    import synthzoo.zoo.inference as inf

    monkeypatch.delenv(inf.PRECISION_ENV, raising=False)
    for native, want in ((True, "bfloat16"), (False, "float32")):
        monkeypatch.setattr(inf, "native_bfloat16", lambda device, native=native: native)
        assert inf.resolve_precision("auto", "cpu") == want
    assert inf.resolve_precision("float32", "cpu") == "float32"
    assert inf.resolve_precision("bfloat16", "cpu") == "bfloat16"  # asked for: emulated if need be
    monkeypatch.setenv(inf.PRECISION_ENV, "float32")  # the environment sets what auto means ...
    assert inf.resolve_precision("auto", "cpu") == "float32"
    assert inf.resolve_precision("bfloat16", "cpu") == "bfloat16"  # ... not an explicit choice
    monkeypatch.setenv(inf.PRECISION_ENV, "half")
    with pytest.raises(ValueError, match="SYNTHZOO_PRECISION='half' is not a precision; valid: auto, float32"):
        inf.resolve_precision("auto", "cpu")
    with pytest.raises(ValueError, match="precision 'fp8': valid: auto, float32, bfloat16, float16"):
        inf.resolve_precision("fp8", "cpu")
    with pytest.raises(ValueError, match="float16 needs a CUDA device"):
        inf.resolve_precision("float16", "cpu")


def test_native_bfloat16_follows_the_cpus_instruction_set(monkeypatch):
    import synthzoo.zoo.inference as inf

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert inf.native_bfloat16("cpu") is False  # oneDNN would emulate it: slower than float32
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert inf.native_bfloat16("cpu") is True
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported")  # a torch without the helper
    assert inf.native_bfloat16("cpu") is False
    assert inf.native_bfloat16("meta") is False


def test_logits_run_the_network_in_bfloat16_and_return_float32():
    from synthzoo.zoo.inference import logits

    model = _model(2, k=3)
    seen = []
    model.head.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    x = torch.rand(2, 1, 32, 24)
    with torch.no_grad():
        ref = logits(model, x, "float32")
        low = logits(model, x, "bfloat16")
    assert seen == [torch.float32, torch.bfloat16]  # the convolutions did run in bfloat16
    assert ref.dtype == low.dtype == torch.float32 and low.shape == ref.shape
    scale = float(ref.abs().max())
    assert 0 < float((low - ref).abs().max()) < 0.05 * scale  # rounded, not another network
    with pytest.raises(ValueError, match="resolve it first"):
        logits(model, x, "auto")


def test_predict_array_in_bfloat16_keeps_the_labels_of_float32():
    from synthzoo.zoo.predict import predict_array
    from zoo_helpers import tiny_card

    torch.manual_seed(0)
    model = UNet(dims=2, in_channels=1, out_channels=3, levels=3, features=8).eval()
    card = tiny_card("0" * 64)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:40, :52]
    img = np.stack([np.sin(xx / 5.0 + z) + np.cos(yy / 7.0) + 0.1 * rng.standard_normal((40, 52))
                    for z in range(3)], -1).astype(np.float32)  # 3 slices
    outs = {p: predict_array(model, card, img, precision=p) for p in ("float32", "bfloat16")}
    for p in outs.values():
        assert p.dtype == np.float32 and p.shape == (3, *img.shape)
        np.testing.assert_allclose(p.sum(0), 1.0, atol=1e-5)
    assert not np.array_equal(outs["float32"], outs["bfloat16"])
    assert (outs["float32"].argmax(0) == outs["bfloat16"].argmax(0)).mean() > 0.97
    assert float(np.abs(outs["float32"] - outs["bfloat16"]).max()) < 0.1
    with pytest.raises(ValueError, match="float16 needs a CUDA device"):
        predict_array(model, card, img, precision="float16")
