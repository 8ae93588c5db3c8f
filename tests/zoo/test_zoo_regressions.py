"""Regression tests chosen so that a broken line fails them (issue 14): the input's voxel size
reaches the resampling, NIfTI headers survive prediction, and sliding windows are blended
with Gaussian weights (a position-dependent toy model, where blending changes the output)."""

import numpy as np
import pytest
import torch

from synthzoo.zoo.predict import predict_array, predict_file, sliding_window


class _Spy(torch.nn.Module):
    """A voxel-wise 3-class 'network' that records the spatial shape of every input."""

    def __init__(self):
        super().__init__()
        self.shapes, self.batches = [], []

    def forward(self, x):
        self.shapes.append(tuple(x.shape[2:]))
        self.batches.append(x.shape[0])
        return torch.cat([torch.zeros_like(x), 4 * x, 4 * (1 - x)], 1)


@pytest.mark.parametrize("spacing,grid", [((0.5, 0.5), (20, 24)), ((2.0, 2.0), (80, 96)),
                                          ((0.5, 2.0), (20, 96)), (None, (40, 48))])
def test_predict_array_resamples_from_the_inputs_voxel_size(tiny, spacing, grid):
    # the tiny card is at 1 mm: a 40x48 image at 0.5 mm is segmented on a 20x24 grid
    img = np.random.default_rng(0).random((40, 48)).astype(np.float32)
    spy = _Spy()
    p = predict_array(spy, tiny, img, spacing=spacing, mode="whole")
    assert spy.shapes == [grid]
    assert p.shape == (3, 40, 48)  # and back on the input's grid
    np.testing.assert_allclose(p.sum(0), 1.0, atol=1e-5)


def test_predict_sliding_mode_resamples_too(tiny):
    img = np.random.default_rng(0).random((40, 48)).astype(np.float32)
    spy = _Spy()
    predict_array(spy, tiny, img, spacing=(0.5, 0.5), mode="sliding", overlap=0.5)
    # 20x24 at 50% overlap of 16x16 windows: 2 x 2 windows, one batch per row of windows
    # (40x48 would need 4 x 5)
    assert spy.shapes == [(16, 16)] * 2 and spy.batches == [2, 2]


def _nifti(path, data, zooms, *, descrip=b"synthzoo regression", sform=2, qform=1):
    import nibabel as nib

    affine = np.diag([*zooms, 1.0])
    affine[:3, 3] = (-10.0, 20.0, 5.0)
    img = nib.Nifti1Image(data, affine)
    img.header["descrip"] = descrip
    img.set_sform(affine, code=sform)
    img.set_qform(affine, code=qform)
    nib.save(img, str(path))
    return affine


def test_predict_file_reads_the_nifti_spacing_and_keeps_its_header(tiny, tmp_path, monkeypatch):
    import nibabel as nib

    import synthzoo.zoo.models as models

    spy = _Spy()
    monkeypatch.setattr(models, "create_model", lambda *a, **k: spy)
    data = np.random.default_rng(1).random((40, 48, 1)).astype(np.float32)
    affine = _nifti(tmp_path / "in.nii.gz", data, (0.5, 0.5, 3.0))
    out, prob = predict_file("tiny-test-2d", tmp_path / "in.nii.gz", tmp_path / "out.nii.gz",
                             probabilities=tmp_path / "p.nii.gz")
    assert spy.shapes == [(20, 24)]  # the file's 0.5 mm voxels resampled to the card's 1 mm
    for path in (out, prob):
        h = nib.load(str(path)).header
        assert int(h["sform_code"]) == 2 and int(h["qform_code"]) == 1, path
        assert h["descrip"].tobytes().rstrip(b"\0") == b"synthzoo regression", path
        np.testing.assert_allclose(h.get_best_affine(), affine, atol=1e-5)
        np.testing.assert_allclose(h.get_zooms()[:3], (0.5, 0.5, 3.0), atol=1e-6)
    assert nib.load(str(out)).shape == (40, 48, 1)
    # --spacing overrides the file's voxel size
    spy.shapes.clear()
    predict_file("tiny-test-2d", tmp_path / "in.nii.gz", tmp_path / "o2.nii.gz", spacing=0.75)
    assert spy.shapes == [(30, 36)]


class _Ramp(torch.nn.Module):
    """Position-dependent: the class-1 logit rises across each window it is given, so every
    voxel gets different scores from the windows covering it and blending decides the result."""

    def forward(self, x):
        n = x.shape[-1]
        ramp = torch.linspace(-3.0, 3.0, n).expand_as(x)
        return torch.cat([torch.zeros_like(x), ramp + 0 * x, torch.full_like(x, -40.0)], 1)


def _expected_blend(size, patch, starts):
    """Independent NumPy sliding-window blend of _Ramp with sigma = patch / 8 Gaussian weights."""
    x = np.arange(patch) - (patch - 1) / 2
    g = np.exp(-0.5 * (x / (patch / 8)) ** 2)
    w = np.outer(g, g)
    w = np.maximum(w / w.max(), 1e-3)
    ramp = np.linspace(-3.0, 3.0, patch)
    p1 = np.broadcast_to(1 / (1 + np.exp(-ramp)), (patch, patch))  # softmax of (0, ramp)
    num, den = np.zeros((size, size)), np.zeros((size, size))
    for a in starts:
        for b in starts:
            num[a:a + patch, b:b + patch] += w * p1
            den[a:a + patch, b:b + patch] += w
    uniform_num, uniform_den = np.zeros((size, size)), np.zeros((size, size))
    for a in starts:
        for b in starts:
            uniform_num[a:a + patch, b:b + patch] += p1
            uniform_den[a:a + patch, b:b + patch] += 1
    return num / den, uniform_num / uniform_den


def test_sliding_window_blends_with_gaussian_weights():
    # 24 pixels, 16-pixel windows at 50% overlap: windows start at 0 and 8 on each axis
    gauss, uniform = _expected_blend(24, 16, (0, 8))
    assert np.abs(gauss - uniform).max() > 0.1  # the choice of weights matters here
    p = sliding_window(_Ramp(), torch.zeros(1, 1, 24, 24), (16, 16), n_classes=3, overlap=0.5)
    np.testing.assert_allclose(p[0, 1].numpy(), gauss, atol=1e-5)


def test_predict_array_sliding_mode_blends_the_same_way(tiny):
    gauss, _ = _expected_blend(24, 16, (0, 8))
    p = predict_array(_Ramp(), tiny, np.zeros((24, 24), np.float32), mode="sliding", overlap=0.5)
    np.testing.assert_allclose(p[1], gauss, atol=1e-5)
