"""Inference with a pretrained model (synthzoo.zoo.predict) behaviour by behaviour, on tiny
inputs and toy models built here (no bundled weights): card normalisation, resampling to the
card's spacing and back, one pass or sliding windows, slice-wise 2D models on volumes,
progress, devices, the limits checked up front and ``predict_file`` end to end.  Written
against the surviving mutants of scripts/mutation.sh; expected values are worked out by hand
or with NumPy, not with the module."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from synthzoo.zoo import predict as P
from synthzoo.zoo.card import WeightCard
from synthzoo.zoo.imageio import Image, ImageFileError


def make_card(dims=2, *, patch=None, spacing=1.0, norm="none", name="toy", labels=("bg", "a", "b")):
    return WeightCard(name=name, architecture="toy", arch_kwargs={}, task="segmentation", domain="test",
                      dims=dims, in_channels=1, label_names=labels, spacing=spacing,
                      patch_size=tuple(patch or (16,) * dims), normalisation=norm)


def voxel_probs(x):
    """NumPy reference of :class:`Voxel`: softmax of the logits (0, 4x, 4 - 4x) per voxel."""
    logits = np.stack([np.zeros_like(x), 4 * x, 4 - 4 * x]).astype(np.float64)
    e = np.exp(logits - logits.max(0))
    return e / e.sum(0)


class Voxel(torch.nn.Module):
    """Voxel-wise 3-class toy model; records what it is given."""

    def __init__(self, divisor=None):
        super().__init__()
        self.shapes, self.batches, self.inputs, self.modes = [], [], [], []
        if divisor is not None:
            self.divisor = lambda: divisor

    def forward(self, x):
        self.shapes.append(tuple(x.shape[2:]))
        self.batches.append(x.shape[0])
        self.inputs.append(x.clone())
        self.modes.append(self.training)
        return torch.cat([torch.zeros_like(x), 4 * x, 4 - 4 * x], 1)


class Rows(torch.nn.Module):
    """Position-dependent toy model: class 1 wins in the lower half of the rows it is given
    (first spatial axis), class 2 in the upper half, class 0 never."""

    def forward(self, x):
        h = x.shape[2]
        r = torch.arange(h, dtype=torch.float32).reshape(1, 1, h, *[1] * (x.ndim - 3)) - (h - 1) / 2
        r = (r + 0 * x)
        return torch.cat([torch.full_like(x, -10.0), 2 * r, -2 * r], 1)


# --------------------------------------------------------------------------- normalise
def test_normalise_none_keeps_values_as_float32():
    x = np.array([[0, 1], [2, 300]], np.int16)
    out = P.normalise(x, "none")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0, 1], [2, 300]])


def test_normalise_minmax_maps_the_range_to_0_1_even_a_small_one():
    np.testing.assert_allclose(P.normalise(np.array([[2, 4], [6, 10]]), "minmax"), [[0, 0.25], [0.5, 1]])
    np.testing.assert_allclose(P.normalise(np.array([[0.0, 0.125, 0.5]]), "minmax"), [[0, 0.25, 1]])
    flat = P.normalise(np.full((2, 3), 7.0), "minmax")  # no division by zero
    assert flat.dtype == np.float32 and np.array_equal(flat, np.zeros((2, 3)))


def test_normalise_zscore_even_a_small_spread():
    np.testing.assert_allclose(P.normalise(np.array([1.0, 3.0]), "zscore"), [-1, 1])
    np.testing.assert_allclose(P.normalise(np.array([0.0, 0.2]), "zscore"), [-1, 1], rtol=1e-5)
    assert np.array_equal(P.normalise(np.full(4, 5.0), "zscore"), np.zeros(4))


def test_normalise_tiny_intensities_too_only_a_flat_image_is_left_at_zero():
    # an image in small physical units (say 1e-8) is still normalised; the guard against a
    # zero spread (1e-8) only applies to a spread below it
    x = np.array([0.0, 0.75e-8, 1.5e-8], np.float32)  # range 1.5e-8
    np.testing.assert_allclose(P.normalise(x, "minmax"), [0, 0.5, 1], rtol=1e-5)
    x = np.array([0.0, 3e-8], np.float32)  # standard deviation 1.5e-8
    np.testing.assert_allclose(P.normalise(x, "zscore"), [-1, 1], rtol=1e-5)


def test_normalise_percentile_clips_the_outer_half_percent():
    # 0..200: the 0.5th percentile is 1 and the 99.5th is 199 (linear interpolation)
    x = np.arange(201.0)
    out = P.normalise(x, "percentile")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[[0, 1, 100, 199, 200]], [0, 0, 99 / 198, 1, 1], rtol=1e-6)
    np.testing.assert_allclose(out[50], 49 / 198, rtol=1e-6)


# --------------------------------------------------------------------------- _resize, whole
def test_resize_is_linear_with_half_pixel_centres_and_a_no_op_at_the_same_size():
    x = torch.tensor([[[[0.0, 1.0]]]])
    up = P._resize(x, (1, 4))
    assert up.shape == (1, 1, 1, 4)
    np.testing.assert_allclose(up.numpy().ravel(), [0.0, 0.25, 0.75, 1.0], atol=1e-6)
    assert P._resize(x, [1, 2]) is x
    v = torch.zeros(1, 1, 1, 1, 2)
    v[..., 1] = 1
    up = P._resize(v, (1, 1, 4))
    assert up.shape == (1, 1, 1, 1, 4)
    np.testing.assert_allclose(up.numpy().ravel(), [0.0, 0.25, 0.75, 1.0], atol=1e-6)


def test_resize_low_pass_filters_only_when_asked_and_only_axes_that_shrink():
    # white noise sampled down 4x: bilinear averages 2 of every 4 samples per axis (half the
    # spread); the antialiased resize a triangle 8 wide (2D) or a Gaussian first (3D): a third
    noise = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 1, 128, 128)).astype(np.float32))
    plain, aa = P._resize(noise, (32, 32)), P._resize(noise, (32, 32), antialias=True)
    assert float(plain.std()) > 0.45 and float(aa.std()) < 0.25
    vol = torch.from_numpy(np.random.default_rng(1).standard_normal((1, 1, 64, 64, 8)).astype(np.float32))
    plain3, aa3 = P._resize(vol, (16, 16, 8)), P._resize(vol, (16, 16, 8), antialias=True)
    assert float(plain3.std()) > 0.45 and float(aa3.std()) < 0.25
    # the last axis kept its size: no blur across it (neighbouring planes stay uncorrelated)
    a, b = aa3[0, 0, ..., 0].flatten(), aa3[0, 0, ..., 1].flatten()
    assert abs(float(torch.corrcoef(torch.stack([a, b]))[0, 1])) < 0.3
    # upsampling and a constant image are unchanged by the option
    up = torch.rand(1, 1, 5, 6)
    assert torch.equal(P._resize(up, (10, 12), antialias=True), P._resize(up, (10, 12)))
    np.testing.assert_allclose(P._resize(torch.full((1, 1, 40, 40, 40), 3.0), (10, 10, 10), antialias=True), 3.0,
                               rtol=1e-5)


def test_inference_version_is_part_of_a_zoo_models_bench_identity():
    from synthzoo.benchmarks.runner import _short_version, zoo_version

    v = zoo_version("ab" * 32)
    assert v == "ab" * 32 + f"+inference{P.INFERENCE_VERSION}" and P.INFERENCE_VERSION >= 2
    assert _short_version(v) == "ab" * 6 + f"+inference{P.INFERENCE_VERSION}"
    assert _short_version("1") == "1"
    assert zoo_version("ab" * 32, "bfloat16") == v + "-bfloat16"
    assert zoo_version("ab" * 32, tta=False) == v + "-nomirror"  # a single pass is another procedure
    assert zoo_version("ab" * 32, "bfloat16", tta=False) == v + "-nomirror-bfloat16"


class Coords(torch.nn.Module):
    """Class-1 logit 0.3 * row + 0.2 * column of the input it is given; records the input.
    Has a parameter, so that its output would need gradients outside ``torch.no_grad``."""

    def __init__(self):
        super().__init__()
        self.inputs = []
        self.scale = torch.nn.Parameter(torch.ones(()))

    def forward(self, x):
        self.inputs.append(x.clone())
        h, w = x.shape[2:]
        logit = 0.3 * torch.arange(h).reshape(h, 1) + 0.2 * torch.arange(w).reshape(1, w)
        return torch.cat([torch.zeros_like(x), self.scale * logit + 0 * x], 1)


def test_whole_pads_centred_to_the_patch_and_divisor_and_crops_back():
    m = Coords()
    p = P.whole(m, torch.ones(1, 1, 5, 7), patch=(8, 4), divisor=3)
    # rows: max(5, 8) = 8 -> 9 (multiple of 3), offset 2; columns: 7 -> 9, offset 1
    expected_in = torch.zeros(1, 1, 9, 9)
    expected_in[..., 2:7, 1:8] = 1
    np.testing.assert_array_equal(m.inputs[0].numpy(), expected_in.numpy())
    i, j = np.mgrid[:5, :7]
    p1 = 1 / (1 + np.exp(-(0.3 * (i + 2) + 0.2 * (j + 1))))
    assert p.shape == (1, 2, 5, 7)
    np.testing.assert_allclose(p[0, 1].numpy(), p1, rtol=1e-5)
    np.testing.assert_allclose(p.sum(1).numpy(), 1, rtol=1e-6)
    assert not p.requires_grad  # no autograd graph is kept


def test_whole_by_default_runs_the_image_as_it_is():
    m = Coords()
    p = P.whole(m, torch.ones(1, 1, 5, 7))
    assert m.inputs[0].shape == (1, 1, 5, 7) and p.shape == (1, 2, 5, 7)
    i, j = np.mgrid[:5, :7]
    np.testing.assert_allclose(p[0, 1].numpy(), 1 / (1 + np.exp(-(0.3 * i + 0.2 * j))), rtol=1e-5)


# --------------------------------------------------------------------------- predict_array
@pytest.mark.parametrize("kw,image,card,msg", [
    (dict(mode="fast"), (4, 4), 2, r"^mode 'fast': valid: auto, sliding, whole$"),
    ({}, (5,), 2, r"^expected a 2D or 3D image, got shape \(5,\)$"),
    ({}, (2, 2, 2, 2), 2, r"^expected a 2D or 3D image, got shape \(2, 2, 2, 2\)$"),
    ({}, (4, 4), 3, r"^model 'toy' is 3D; got a 2D image$"),
    (dict(spacing=(1,)), (4, 4), 2, r"^spacing \(1.0,\): needs 2 finite entries > 0$"),
    (dict(spacing=(1, 0)), (4, 4), 2, r"^spacing \(1.0, 0.0\): needs 2 finite entries > 0$"),
    (dict(spacing=(1, -1)), (4, 4), 2, r"needs 2 finite entries > 0$"),
    (dict(spacing=(math.inf, 1)), (4, 4), 2, r"^spacing \(inf, 1.0\): needs 2"),
    (dict(spacing=(1, 1, math.nan)), (4, 4, 4), 3, r"^spacing \(1.0, 1.0, nan\): needs 3"),
])
def test_predict_array_refuses_with_one_line(kw, image, card, msg):
    m = Voxel()
    with pytest.raises(ValueError, match=msg):
        P.predict_array(m, make_card(card), np.zeros(image, np.float32), **kw)
    assert m.shapes == []


@pytest.mark.parametrize("mode", ["whole", "sliding", "auto"])
def test_predict_array_voxelwise_model_gives_its_own_probabilities(mode):
    img = np.random.default_rng(0).random((16, 20)).astype(np.float32)
    m = Voxel()
    m.train()
    out = P.predict_array(m, make_card(patch=(8, 8)), img, mode=mode, overlap=0.5)
    assert out.dtype == np.float32 and out.shape == (3, 16, 20)
    np.testing.assert_allclose(out, voxel_probs(img), atol=1e-5)
    assert m.modes and not any(m.modes)  # run in eval mode
    # auto: 16 x 20 is 5 patches of 8 x 8, one pass
    assert set(m.shapes) == ({(8, 8)} if mode == "sliding" else {(16, 20)})


def test_predict_array_3d_model_on_a_volume():
    img = np.random.default_rng(1).random((6, 5, 7)).astype(np.float32)
    card = make_card(3, patch=(4, 4, 4))
    m = Voxel()
    out = P.predict_array(m, card, img, spacing=(1, 1, 1))  # auto: sliding for a 3D model
    assert out.shape == (3, 6, 5, 7) and set(m.shapes) == {(4, 4, 4)}
    np.testing.assert_allclose(out, voxel_probs(img), atol=1e-5)
    m = Voxel()
    out = P.predict_array(m, card, img, mode="whole")
    assert m.shapes == [(6, 5, 7)] and m.batches == [1]
    np.testing.assert_allclose(out, voxel_probs(img), atol=1e-5)


def test_predict_array_moves_the_model_and_image_to_the_given_device():
    class Where(Voxel):
        def __init__(self):
            super().__init__()
            self.moved, self.devices = [], []

        def to(self, *args, **kw):
            self.moved.append(args)
            return super().to(*args, **kw)

        def forward(self, x):
            self.devices.append(x.device)
            return super().forward(x)

    m = Where()
    P.predict_array(m, make_card(patch=(4, 4)), np.zeros((4, 4), np.float32), device="cpu")
    assert m.moved == [(torch.device("cpu"),)] and m.devices == [torch.device("cpu")]


@pytest.mark.parametrize("spacing,grid", [(None, (20, 24)), ((1.0, 4.0), (10, 48)), ((6.0, 0.5), (60, 6)),
                                          ((0.1, 0.02), (1, 1))])
def test_predict_array_segments_on_the_cards_grid_and_returns_the_inputs(spacing, grid):
    # card at 2 mm: an image at 1 x 4 mm is segmented on a grid of half the rows and twice
    # the columns; a grid never collapses below one voxel
    img = np.random.default_rng(2).random((20, 24)).astype(np.float32)
    m = Voxel()
    out = P.predict_array(m, make_card(patch=(1, 1), spacing=2.0), img, spacing=spacing, mode="whole")
    assert m.shapes == [grid]
    assert out.shape == (3, 20, 24)
    np.testing.assert_allclose(out.sum(0), 1, atol=1e-5)


def test_predict_array_resamples_linearly_there_and_back():
    img = np.zeros((2, 4), np.float32)
    img[:, 2:] = 1
    m = Voxel()
    out = P.predict_array(m, make_card(patch=(1, 1)), img, spacing=(1.0, 0.5), mode="whole")
    # 4 columns at 0.5 mm -> 2 at 1 mm, low-pass filtered: a triangle 2 input columns wide on
    # each side of the output centre (weights 3/4, 3/4, 1/4 within the image, renormalised)
    np.testing.assert_allclose(m.inputs[0].numpy(), [[[[1 / 7, 6 / 7], [1 / 7, 6 / 7]]]], atol=1e-6)
    p = voxel_probs(np.array([1 / 7, 6 / 7]))  # per column of the 2-column grid, then back up
    back = np.stack([p[:, 0], 0.75 * p[:, 0] + 0.25 * p[:, 1], 0.25 * p[:, 0] + 0.75 * p[:, 1], p[:, 1]], -1)
    np.testing.assert_allclose(out[:, 0], back, atol=1e-5)


def test_2d_model_on_a_volume_runs_slices_along_the_last_axis_in_batches_of_8():
    img = np.random.default_rng(3).random((6, 5, 10)).astype(np.float32)
    m = Voxel()
    out = P.predict_array(m, make_card(patch=(1, 1)), img, mode="whole")
    assert P.SLICE_BATCH == 8 and m.batches == [8, 2] and m.shapes == [(6, 5)] * 2
    for k in range(10):  # slice k of the input is slice k of the batch it went in
        b, i = divmod(k, 8)
        np.testing.assert_array_equal(m.inputs[b][i, 0].numpy(), img[..., k])
    np.testing.assert_allclose(out, voxel_probs(img), atol=1e-5)
    # resampled in plane only: the slice axis's spacing plays no part
    m = Voxel()
    P.predict_array(m, make_card(patch=(1, 1), spacing=0.5), img, spacing=(1.0, 1.5, 7.0), mode="whole")
    assert m.shapes == [(12, 15)] * 2
    # sliding windows over the slices too: 2 x 2 windows of 4 x 4, a row of 2 windows of
    # 8 slices (then of 2 slices) per batch
    m = Voxel()
    out = P.predict_array(m, make_card(patch=(4, 4)), img, mode="sliding")
    np.testing.assert_allclose(out, voxel_probs(img), atol=1e-5)
    assert set(m.shapes) == {(4, 4)} and m.batches == [16, 16, 4, 4]


@pytest.mark.parametrize("shape,spacing,whole", [((8, 12), None, True), ((8, 14), None, False),
                                                 ((16, 24), (0.5, 0.5), True), ((16, 28), (0.5, 0.5), False)])
def test_auto_runs_one_pass_up_to_6_patches_of_the_resampled_slice(shape, spacing, whole):
    m = Voxel()
    P.predict_array(m, make_card(patch=(4, 4)), np.zeros(shape, np.float32), spacing=spacing)
    grid = tuple(s // 2 for s in shape) if spacing else shape
    assert m.shapes == ([grid] if whole else [(4, 4)] * len(m.shapes)) and len(m.shapes) >= 1
    if not whole:
        assert len(m.shapes) > 1


def test_auto_never_runs_a_3d_model_in_one_pass():
    m = Voxel()
    P.predict_array(m, make_card(3, patch=(4, 4, 4)), np.zeros((4, 4, 8), np.float32))  # 2 patches
    assert m.shapes == [(4, 4, 4)] and m.batches == [3]  # 3 windows along the last axis


def test_the_models_divisor_pads_the_image():
    img = np.random.default_rng(4).random((9, 9)).astype(np.float32)
    m = Voxel(divisor=8)
    out = P.predict_array(m, make_card(patch=(1, 1)), img, mode="whole")
    assert m.shapes == [(16, 16)]
    np.testing.assert_allclose(out, voxel_probs(img), atol=1e-5)
    m = Voxel()  # no divisor: none
    P.predict_array(m, make_card(patch=(1, 1)), img, mode="whole")
    assert m.shapes == [(9, 9)]
    # sliding: windows of 4 at stride 3 over 16 (padded) instead of 9 -> 5 x 5 windows
    seen = []
    m = Voxel(divisor=8)
    P.predict_array(m, make_card(patch=(4, 4)), img, mode="sliding", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (25, 25) and sum(m.batches) == 25


def test_progress_counts_windows_over_all_slice_batches():
    img = np.zeros((8, 8, 10), np.float32)
    seen = []
    P.predict_array(Voxel(), make_card(patch=(4, 4)), img, mode="sliding", overlap=0.5,
                    progress=lambda d, t: seen.append((d, t)))
    # 8x8 at stride 2: 3 x 3 windows per slice batch, reported a row (3 windows) at a time
    assert seen == [(3, 18), (6, 18), (9, 18), (12, 18), (15, 18), (18, 18)]
    seen.clear()
    P.predict_array(Voxel(), make_card(patch=(4, 4)), img, mode="sliding", overlap=0,
                    progress=lambda d, t: seen.append((d, t)))
    assert seen == [(2, 8), (4, 8), (6, 8), (8, 8)]  # no overlap: 2 x 2 windows
    assert all(type(d) is int and type(t) is int for d, t in seen)


def test_progress_counts_slices_in_one_pass_mode():
    seen = []
    P.predict_array(Voxel(), make_card(patch=(4, 4)), np.zeros((8, 8, 10), np.float32), mode="whole",
                    progress=lambda d, t: seen.append((d, t)))
    assert seen == [(8, 10), (10, 10)]
    seen.clear()
    P.predict_array(Voxel(), make_card(patch=(4, 4)), np.zeros((8, 8), np.float32), mode="whole",
                    progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 1)]


# --------------------------------------------------------------------------- devices
@pytest.fixture
def two_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)


def test_resolve_device_with_cuda(two_gpus):
    assert P.resolve_device("auto") == "cuda"
    assert P.resolve_device("cuda") == "cuda"
    assert P.resolve_device("cuda:1") == "cuda:1"
    assert P.resolve_device("cpu") == "cpu"
    for bad in ("cuda:2", "cuda:5"):
        with pytest.raises(ValueError, match=rf"^--device '{bad}': only 2 CUDA device\(s\); valid: cuda:0 to cuda:1$"):
            P.resolve_device(bad)


def test_resolve_device_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert P.resolve_device("auto") == "cpu"
    assert P.resolve_device("cpu") == "cpu"
    for dev in ("cuda", "cuda:0"):
        with pytest.raises(ValueError, match=r"^--device cuda asked for but no CUDA device is available; "
                                             r"use --device cpu$"):
            P.resolve_device(dev)


@pytest.mark.parametrize("dev,msg", [
    ("bogus", "^--device 'bogus': unknown device; valid: cpu, cuda, cuda:N or auto$"),
    ("meta", "^--device 'meta': not supported; valid: cpu, cuda, cuda:N or auto$"),
    ("mps", "^--device 'mps': not supported;"),
])
def test_resolve_device_refuses_unknown_and_unsupported_devices(dev, msg):
    with pytest.raises(ValueError, match=msg):
        P.resolve_device(dev)


# --------------------------------------------------------------------------- grid, memory, spacing checks
def test_plan_grid_per_slice_for_a_2d_model_on_a_volume():
    c2, c3 = make_card(2), make_card(3, spacing=0.5)
    assert P.plan_grid(c2, (40, 48, 7), (0.5, 2.0, 9.0)) == (20, 96)
    assert P.plan_grid(c2, (40, 48), (0.5, 2.0)) == (20, 96)
    assert P.plan_grid(c3, (40, 48, 7), (0.5, 2.0, 1.5)) == (40, 192, 21)
    assert P.plan_grid(c2, (3, 40), (0.1, 1.0)) == (1, 40)


@pytest.mark.parametrize("shape,spacing,expected", [
    # 4 n (3 + 2K) + 8 n + 8 resampled + 4 padded (4 + 2K) + 4 * 4 * window * 128, K = 3, window 16 x 16
    ((40, 48), (1.0, 1.0), 4 * 1920 * 9 + 8 * 1920 + 8 * 1920 + 4 * 1920 * 10 + 16 * 256 * 128),
    ((8, 8), (1.0, 1.0), 4 * 64 * 9 + 8 * 64 + 8 * 64 + 4 * 256 * 10 + 16 * 256 * 128),  # padded to the patch
    # a 2D model on 5 slices: every slice resampled (20 x 24 each)
    ((40, 48, 5), (0.5, 0.5, 3.0), 4 * 9600 * 9 + 8 * 9600 + 8 * 5 * 480 + 4 * 480 * 10 + 16 * 256 * 128),
])
def test_estimate_bytes(shape, spacing, expected):
    assert P.estimate_bytes(make_card(patch=(16, 16)), shape, spacing) == expected


def test_check_spacing_refuses_a_voxel_size_of_the_wrong_length_or_value():
    c = make_card()
    with pytest.raises(ValueError, match=r"^in.png: voxel size \(1.0,\) has 1 entries for a 2D image; pass --spacing$"):
        P.check_spacing(c, (8, 8), (1.0,), "in.png")
    with pytest.raises(ValueError, match=r"^in.png: voxel size 0.0: must be finite and > 0$"):
        P.check_spacing(c, (8, 8), (1.0, 0.0), "in.png")
    with pytest.raises(ValueError, match=r"^in.png: voxel size nan: must be finite"):
        P.check_spacing(c, (8, 8), (math.nan, 1.0), "in.png")


def test_check_spacing_refuses_a_grid_that_collapses():
    c = make_card()
    P.check_spacing(c, (8, 8), (0.5, 0.5), "a")  # 4 x 4 voxels: enough
    P.check_spacing(c, (3, 8), (1.0, 1.0), "a")  # 3 voxels that were 3
    with pytest.raises(ValueError, match=r"^in.png: voxel size \(0.25, 0.25\) mm resamples the 8x8 image to 2x2 "
                                         r"voxels at the model's 1 mm; pass the image's real voxel size with "
                                         r"--spacing$"):
        P.check_spacing(c, (8, 8), (0.25, 0.25), "in.png")
    with pytest.raises(ValueError, match=r"^a: voxel size \(0.5, 0.75\) mm resamples the 3x8 image to 2x8 voxels "
                                         r"at the model's 0.75 mm"):
        P.check_spacing(make_card(spacing=0.75), (3, 8), (0.5, 0.75), "a")
    with pytest.raises(ValueError, match="resamples the 8x8x2 image to 3x8 voxels"):
        P.check_spacing(c, (8, 8, 2), (0.4, 1.0, 5.0), "a")


def test_check_spacing_refuses_what_does_not_fit_in_memory(monkeypatch):
    import synthzoo._limits as limits

    c = make_card()
    need = P.estimate_bytes(c, (8, 8), (1.0, 1.0))
    monkeypatch.setattr(limits, "available_memory", lambda: need)
    P.check_spacing(c, (8, 8), (1.0, 1.0), "a")
    monkeypatch.setattr(limits, "available_memory", lambda: need - 1)
    with pytest.raises(ValueError, match=r"^in.png: segmenting the 8x8 image at voxel size \(1, 1\) mm \(resampled "
                                         r"to 8x8 at the model's 1 mm\) needs about .* available; crop the image "
                                         r"or check --spacing$"):
        P.check_spacing(c, (8, 8), (1.0, 1.0), "in.png")


# --------------------------------------------------------------------------- to_canonical
def _lia_affine(zooms):
    """Voxel axes (i, j, k) stored as (L, I, A) with voxel size ``zooms``."""
    a = np.zeros((4, 4))
    a[0, 0], a[2, 1], a[1, 2], a[3, 3] = -zooms[0], -zooms[1], zooms[2], 1
    a[:3, 3] = (10.0, -20.0, 5.0)
    return a


def test_to_canonical_reorients_a_nifti_volume_to_ras_for_a_2d_model():
    data = np.random.default_rng(5).random((6, 3, 4)).astype(np.float32)
    img = Image(data, "nifti", (1.0, 3.0, 2.0), {"affine": _lia_affine((1.0, 3.0, 2.0))})
    ras, sp, back = P.to_canonical(img, (1.0, 3.0, 2.0), make_card(2))
    # R = reversed i, A = k, S = reversed j
    expected = data[::-1, ::-1, :].transpose(0, 2, 1)
    np.testing.assert_array_equal(ras, expected)
    assert ras.flags.c_contiguous and sp == (1.0, 2.0, 3.0)
    out = back(ras)
    np.testing.assert_array_equal(out, data)
    assert out.flags.c_contiguous


def test_to_canonical_puts_the_z_of_a_zyx_stack_last_for_a_2d_model():
    data = np.random.default_rng(7).random((2, 3, 4)).astype(np.float32)
    for fmt in ("tiff", "zarr"):
        img = Image(data, fmt, None, {"axes": "zyx"})
        yxz, sp, back = P.to_canonical(img, (5.0, 0.5, 0.25), make_card(2))
        np.testing.assert_array_equal(yxz, data.transpose(1, 2, 0))
        assert sp == (0.5, 0.25, 5.0)
        out = back(yxz)
        np.testing.assert_array_equal(out, data)
        assert out.flags.c_contiguous
    same, sp, _ = P.to_canonical(Image(data, "tiff", None, {"axes": "zyx"}), (5.0, 0.5, 0.25), make_card(3))
    assert same is data and sp == (5.0, 0.5, 0.25)  # a 3D model takes the volume as it is


def test_to_canonical_passes_other_inputs_through():
    vol = np.zeros((6, 3, 4), np.float32)
    aff = {"affine": _lia_affine((1.0, 1.0, 1.0))}
    for img, card in [(Image(vol, "tiff", None, dict(aff)), make_card(2)),  # not NIfTI
                      (Image(vol, "nifti", None, {}), make_card(2)),  # no affine
                      (Image(vol[..., 0], "nifti", None, dict(aff)), make_card(2)),  # 2D
                      (Image(vol, "nifti", None, dict(aff)), make_card(3))]:  # 3D model
        data, sp, back = P.to_canonical(img, [1, 2, 3][: img.data.ndim], card)
        assert data is img.data and sp == (1, 2, 3)[: img.data.ndim] and isinstance(sp, tuple)
        assert back(vol) is vol


# --------------------------------------------------------------------------- predict_file
@pytest.fixture
def toy(monkeypatch):
    """``toy`` registered as a pretrained 2D model (patch 4 x 4, 1 mm, min-max) whose
    network is ``state.model`` (a :class:`Voxel` unless a test swaps it)."""
    import synthzoo.zoo.models as models

    state = SimpleNamespace(card=make_card(patch=(4, 4), norm="minmax"), model=Voxel(), calls=[])

    def create_model(name, pretrained=False, **kw):
        state.calls.append((name, pretrained, kw))
        return state.model

    def get_card(name):
        if name != "toy":
            raise ValueError(f"unknown model {name!r}")
        return state.card

    monkeypatch.setattr(models, "create_model", create_model)
    monkeypatch.setattr(models, "get_card", get_card)
    return state


def _png(path, arr):
    from PIL import Image as PILImage

    PILImage.fromarray(arr).save(path)
    return path


def _ramp(shape=(16, 16)):
    """uint8 values from 0 to 255, none at the middle (no ties between classes 1 and 2)."""
    v = np.linspace(0, 255, math.prod(shape)).reshape(shape)
    return np.where(np.abs(v - 127.5) < 2, 200, v).astype(np.uint8)


def test_predict_file_png_labels_and_tiff_probabilities(toy, tmp_path):
    import tifffile
    from PIL import Image as PILImage

    img = _ramp()
    src = _png(tmp_path / "in.png", img)
    paths = P.predict_file("toy", src, tmp_path / "out.png", probabilities=tmp_path / "p.tif")
    assert paths == [tmp_path / "out.png", tmp_path / "p.tif"]
    x = (img - 0.0) / 255
    expected = voxel_probs(x)
    lab = np.asarray(PILImage.open(paths[0]))
    np.testing.assert_array_equal(lab, expected.argmax(0))
    assert set(np.unique(lab)) == {1, 2}
    prob = tifffile.imread(paths[1])
    assert prob.dtype == np.float32 and prob.shape == (3, 16, 16)
    np.testing.assert_allclose(prob, expected, atol=1e-5)
    assert toy.calls == [("toy", True, {"offline": False})]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png", "out.png", "p.tif"]


def test_predict_file_passes_offline_overlap_and_progress(toy, tmp_path):
    src = _png(tmp_path / "in.png", _ramp((16, 16)))  # 16 x 16 = 16 patches: sliding windows
    seen = []
    (out,) = P.predict_file("toy", src, tmp_path / "o.png", offline=True, overlap=0.0,
                            progress=lambda d, t: seen.append((d, t)))
    assert out == tmp_path / "o.png" and toy.calls[0][2] == {"offline": True}
    assert seen[-1] == (16, 16)  # 4 x 4 windows without overlap
    seen.clear()
    P.predict_file("toy", src, tmp_path / "o2.png", overlap=0.5, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (49, 49)  # 7 x 7 at stride 2


@pytest.mark.parametrize("kw,msg", [
    (dict(overlap=1.0), r"^--overlap 1.0: must be in \[0, 1\)$"),
    (dict(overlap=-0.1), r"^--overlap -0.1: must be in \[0, 1\)$"),
    (dict(spacing=0), r"^--spacing 0: must be finite and > 0$"),
    (dict(device="bogus"), r"^--device 'bogus': unknown device"),
])
def test_predict_file_refuses_bad_options_before_reading(toy, tmp_path, kw, msg):
    src = _png(tmp_path / "in.png", _ramp())
    with pytest.raises(ValueError, match=msg):
        P.predict_file("toy", src, tmp_path / "o.png", **kw)
    assert toy.calls == [] and not (tmp_path / "o.png").exists()


def test_predict_file_refuses_bad_inputs_and_outputs_before_the_model(toy, tmp_path):
    import tifffile

    from synthzoo._outputs import OutputError

    with pytest.raises(ImageFileError, match=r"nothing.png: no such file$"):
        P.predict_file("toy", tmp_path / "nothing.png", tmp_path / "o.png")
    src = _png(tmp_path / "in.png", _ramp())
    (tmp_path / "o.png").write_bytes(b"mine")
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        P.predict_file("toy", src, tmp_path / "o.png")
    with pytest.raises(ImageFileError, match=r"p.png: probabilities need a float format"):
        P.predict_file("toy", src, tmp_path / "o2.png", probabilities=tmp_path / "p.png")
    tifffile.imwrite(tmp_path / "vol.tif", np.zeros((3, 8, 8), np.uint8), photometric="minisblack")
    with pytest.raises(ImageFileError, match=r"o3.png: PNG holds 2D images only, the input is 3D"):
        P.predict_file("toy", tmp_path / "vol.tif", tmp_path / "o3.png")
    assert toy.calls == [] and (tmp_path / "o.png").read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png", "o.png", "vol.tif"]
    P.predict_file("toy", src, tmp_path / "o.png", overwrite=True)
    assert (tmp_path / "o.png").read_bytes() != b"mine"


def _zarr(path, arr, spacing=None):
    import zarr

    z = zarr.create_array(str(path), shape=arr.shape, dtype=arr.dtype)
    z[...] = arr
    if spacing is not None:
        z.attrs["spacing"] = list(spacing)
    return path


def test_predict_file_segments_at_the_files_voxel_size_or_the_given_one(toy, tmp_path):
    toy.card = make_card(patch=(8, 8), norm="minmax")
    img = _ramp()
    z = _zarr(tmp_path / "z.zarr", img, spacing=(0.5, 0.5))
    P.predict_file("toy", z, tmp_path / "a.zarr")
    P.predict_file("toy", z, tmp_path / "b.zarr", spacing=0.75)
    P.predict_file("toy", _png(tmp_path / "in.png", img), tmp_path / "c.png")  # no voxel size: the card's
    assert toy.model.shapes == [(8, 8), (12, 12), (16, 16)]


def test_predict_file_names_where_a_collapsing_voxel_size_came_from(toy, tmp_path):
    z = _zarr(tmp_path / "z.zarr", _ramp(), spacing=(0.01, 0.01))
    with pytest.raises(ValueError, match=rf"^{re.escape(str(z))}: voxel size \(0.01, 0.01\) mm resamples the 16x16 image to "
                                         r"1x1 voxels at the model's 1 mm"):
        P.predict_file("toy", z, tmp_path / "a.zarr")
    z2 = _zarr(tmp_path / "z2.zarr", _ramp())
    with pytest.raises(ValueError, match=r"^--spacing 0.01: voxel size \(0.01, 0.01\) mm resamples"):
        P.predict_file("toy", z2, tmp_path / "b.zarr", spacing=0.01)
    assert toy.calls == [] and not (tmp_path / "a.zarr").exists() and not (tmp_path / "b.zarr").exists()


def test_predict_file_slices_a_nifti_volume_axially_and_writes_it_back_in_its_own_order(toy, tmp_path):
    import nibabel as nib

    toy.model = Rows()
    affine = _lia_affine((1.0, 3.0, 1.0))
    vol = np.random.default_rng(6).random((6, 3, 4)).astype(np.float32)
    nib.save(nib.Nifti1Image(vol, affine), str(tmp_path / "in.nii.gz"))
    out, prob = P.predict_file("toy", tmp_path / "in.nii.gz", tmp_path / "o.nii.gz",
                               probabilities=tmp_path / "p.nii.gz")
    lab = nib.load(str(out))
    np.testing.assert_allclose(lab.affine, affine)
    # RAS rows are R = reversed i: class 1 wins in RAS rows 3..5, i.e. i = 0..2
    expected = np.zeros((6, 3, 4), int)
    expected[:3], expected[3:] = 1, 2
    np.testing.assert_array_equal(np.asarray(lab.dataobj), expected)
    p = nib.load(str(prob)).get_fdata()
    assert p.shape == (6, 3, 4, 3)
    np.testing.assert_allclose(p.sum(-1), 1, atol=1e-5)
    np.testing.assert_array_equal(p.argmax(-1), expected)


def test_predict_file_segments_every_page_of_a_tiff_stack_and_keeps_its_order(toy, tmp_path):
    import tifffile

    toy.model = Rows()
    vol = np.random.default_rng(8).random((3, 6, 4)).astype(np.float32)  # 3 pages of 6 x 4
    tifffile.imwrite(tmp_path / "in.tif", vol, photometric="minisblack")
    out, prob = P.predict_file("toy", tmp_path / "in.tif", tmp_path / "o.tif", probabilities=tmp_path / "p.tif")
    # Rows on each 6 x 4 page: class 2 in rows y = 0..2, class 1 in rows 3..5, on every page
    expected = np.zeros((3, 6, 4), int)
    expected[:, :3], expected[:, 3:] = 2, 1
    np.testing.assert_array_equal(tifffile.imread(out), expected)
    p = tifffile.imread(prob)
    assert p.shape == (3, 3, 6, 4)
    np.testing.assert_array_equal(p.argmax(0), expected)


def test_predict_file_plans_a_stack_on_its_pages_not_on_its_depth(toy, tmp_path):
    import tifffile

    # 2 pages of 16 x 16 at 1 mm, 50 mm apart, for a 2 mm model: each page is resampled to 8 x 8
    # (sliced along the stored last axis, the slices would be 2 x 16 at (50, 1) mm -> 50 x 8)
    vol = np.random.default_rng(9).random((2, 16, 16)).astype(np.float32)
    tifffile.imwrite(tmp_path / "in.tif", vol, imagej=True, resolution=(1.0, 1.0),
                     metadata={"unit": "mm", "spacing": 50.0, "axes": "ZYX"})
    toy.card = make_card(patch=(4, 4), norm="minmax", spacing=2.0)
    P.predict_file("toy", tmp_path / "in.tif", tmp_path / "o.tif")
    assert set(toy.model.shapes) == {(8, 8)}  # every page at 2 mm: 16 x 16 -> 8 x 8
    assert tifffile.imread(tmp_path / "o.tif").shape == (2, 16, 16)


def test_predict_file_takes_a_jpeg_and_writes_its_labels_as_png(toy, tmp_path):
    from PIL import Image as PILImage

    PILImage.fromarray(_ramp()).convert("RGB").save(tmp_path / "in.jpg", quality=95)
    with pytest.raises(ImageFileError, match=r"out: a JPEG \(lossy\) input gives no format to write"):
        P.predict_file("toy", tmp_path / "in.jpg", tmp_path / "out")
    assert toy.calls == [] and not (tmp_path / "out").exists()
    (out,) = P.predict_file("toy", tmp_path / "in.jpg", tmp_path / "o.png")
    lab = np.asarray(PILImage.open(out))
    assert lab.shape == _ramp().shape and set(np.unique(lab)) <= {1, 2}


def test_predict_file_checks_both_outputs_under_the_output_policy(toy, tmp_path):
    import zarr

    from synthzoo._outputs import OutputError

    src = _png(tmp_path / "in.png", _ramp())
    with pytest.raises(OutputError, match="is the input"):
        P.predict_file("toy", src, src, overwrite=True)
    with pytest.raises(OutputError, match=r"o.tif: .*also given as OUTPUT"):
        P.predict_file("toy", src, tmp_path / "o.tif", probabilities=tmp_path / "o.tif")
    paths = P.predict_file("toy", src, tmp_path / "o.zarr", probabilities=tmp_path / "p.zarr")
    assert zarr.open_array(str(paths[0]), mode="r").attrs["kind"] == "labels"
    assert zarr.open_array(str(paths[1]), mode="r").attrs["kind"] == "probabilities"
    # a previous output of the same kind is replaced with overwrite; one of the other kind never
    P.predict_file("toy", src, tmp_path / "o.zarr", probabilities=tmp_path / "p.zarr", overwrite=True)
    with pytest.raises(OutputError, match=r"p.zarr: is an existing folder that is not a previous labels store"):
        P.predict_file("toy", src, tmp_path / "p.zarr", overwrite=True)
    with pytest.raises(OutputError, match=r"o.zarr: is an existing folder that is not a previous "
                                          r"probabilities store"):
        P.predict_file("toy", src, tmp_path / "x.png", probabilities=tmp_path / "o.zarr", overwrite=True)
    assert len(toy.calls) == 2


def test_predict_file_writes_a_name_without_extension_in_the_inputs_format(toy, tmp_path):
    src = _png(tmp_path / "in.png", _ramp())
    (out,) = P.predict_file("toy", src, tmp_path / "labels")
    with open(out, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_predict_file_outputs_without_extension_take_the_inputs_format(toy, tmp_path):
    import nibabel as nib
    import zarr

    nib.save(nib.Nifti1Image(np.ones((8, 8, 2), np.float32), np.eye(4)), str(tmp_path / "in.nii.gz"))
    out, prob = P.predict_file("toy", tmp_path / "in.nii.gz", tmp_path / "labels", probabilities=tmp_path / "probs")
    assert nib.Nifti1Image.from_bytes(out.read_bytes()).shape == (8, 8, 2)
    assert nib.Nifti1Image.from_bytes(prob.read_bytes()).shape == (8, 8, 2, 3)
    # a Zarr input: the output is a store, replaced as a previous output with overwrite
    z = _zarr(tmp_path / "in.zarr", _ramp())
    (seg,) = P.predict_file("toy", z, tmp_path / "seg")
    P.predict_file("toy", z, seg, overwrite=True)
    assert zarr.open_array(str(seg), mode="r").attrs["kind"] == "labels"


def test_predict_file_converts_a_voxel_size_the_file_gives_in_another_unit(toy, tmp_path):
    """A NIfTI header in mm (or metres) for a um model, a Zarr ``spacing_unit``: the voxel size
    is converted to the model's unit; a file that names no unit is taken as it is."""
    import dataclasses

    import nibabel as nib

    toy.card = dataclasses.replace(make_card(patch=(16, 16), norm="minmax", spacing=0.5), spacing_unit="um")
    img = _ramp().astype(np.float32)

    def nifti(name, zoom, unit):
        nii = nib.Nifti1Image(img[:, :, None], np.diag([zoom, zoom, zoom, 1.0]))
        nii.header.set_xyzt_units(unit)
        nib.save(nii, tmp_path / name)
        return tmp_path / name

    P.predict_file("toy", nifti("mm.nii.gz", 0.00025, "mm"), tmp_path / "a.nii.gz")  # 0.25 um
    P.predict_file("toy", nifti("m.nii.gz", 0.00000025, "meter"), tmp_path / "b.nii.gz")  # 0.25 um
    P.predict_file("toy", nifti("um.nii.gz", 1.0, "micron"), tmp_path / "c.nii.gz")
    P.predict_file("toy", nifti("none.nii.gz", 0.25, "unknown"), tmp_path / "d.nii.gz")  # as the model's
    z = _zarr(tmp_path / "z.zarr", _ramp(), spacing=(0.001, 0.001))
    zarr_attrs = __import__("zarr").open_array(str(z), mode="r+").attrs
    zarr_attrs["spacing_unit"] = "mm"
    P.predict_file("toy", z, tmp_path / "e.zarr")  # 1 um
    assert toy.model.shapes == [(16, 16), (16, 16), (32, 32), (16, 16), (32, 32)]  # 8x8 grids padded to the patch
    # a voxel size in mm that collapses the image names the conversion and the model's unit
    with pytest.raises(ValueError, match=r"mm.nii.gz \(voxel size in mm, as um: 0.01, 0.01\): voxel size "
                                         r"\(0.01, 0.01\) um resamples the 16x16 image to 1x1 voxels at the "
                                         r"model's 0.5 um"):
        P.predict_file("toy", nifti("mm.nii.gz", 0.00001, "mm"), tmp_path / "f.nii.gz")
    zarr_attrs["spacing_unit"] = "furlong"
    with pytest.raises(ImageFileError, match=r"z.zarr: spacing_unit 'furlong' is not one of mm, um"):
        P.predict_file("toy", z, tmp_path / "g.zarr")


def test_spacing_in_converts_between_mm_and_um():
    from synthzoo.zoo.imageio import spacing_in

    assert spacing_in((0.5, 2.0), "mm", "um") == (500.0, 2000.0)
    assert spacing_in((500.0,), "um", "mm") == (0.5,)
    assert spacing_in((0.3,), None, "um") == (0.3,) and spacing_in((0.3,), "um", "um") == (0.3,)
    with pytest.raises(ValueError, match="unknown spacing unit 'inch'"):
        spacing_in((1.0,), "inch", "mm")
