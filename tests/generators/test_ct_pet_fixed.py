"""The narrow baselines' fixed CT protocol and FDG scan, and the CT/PET test sets' protocols."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from synthzoo.generators import create
from synthzoo.generators.registry import GENERATORS


def _sample(name: str, contrast: str, seed: int = 0, batch: int = 6):
    gen = GENERATORS.get(name)(contrast=contrast, spacing=2.0)
    g = torch.Generator().manual_seed(seed)
    labels = gen.default_labels(batch=batch, size=64, dims=2, generator=g)
    return gen(labels, generator=g)


def _class_medians(sample, k: int) -> np.ndarray:
    img, tgt = sample.image[:, 0].numpy(), sample.labels[:, 0].numpy()
    return np.array([np.median(i[t == k]) if (t == k).sum() > 20 else np.nan for i, t in zip(img, tgt)])


def test_ct_fixed_is_the_brain_window_protocol_and_random_is_not():
    fixed = _sample("ct", "fixed")
    gm, wm = _class_medians(fixed, 2), _class_medians(fixed, 3)
    ok = ~np.isnan(gm) & ~np.isnan(wm)
    assert ok.sum() >= 3
    # brain window 40/80: GM 40 HU -> 0.5, WM 25 HU -> 0.3125 (noise 5 HU, texture 3 HU)
    assert np.allclose(gm[ok], 0.5, atol=0.08) and np.allclose(wm[ok], 0.3125, atol=0.08)
    assert np.all(gm[ok] - wm[ok] > 0.12)  # one grey/white contrast
    rand = _sample("ct", "random")
    diff = _class_medians(rand, 2) - _class_medians(rand, 3)
    diff = diff[~np.isnan(diff)]
    assert diff.min() < 0.05 and diff.max() > 0.05  # random HU, stretch and window: any contrast


def test_pet_fixed_is_fdg_and_random_varies_the_tracer():
    fixed = _sample("pet", "fixed")
    ratio = _class_medians(fixed, 2) / _class_medians(fixed, 3)
    ratio = ratio[~np.isnan(ratio)]
    assert np.all(ratio > 1.1) and np.median(ratio) > 1.5  # GM = 4 x WM before the 5 mm PSF
    rand = _sample("pet", "random", batch=12)
    r2 = _class_medians(rand, 2) / _class_medians(rand, 3)
    r2 = r2[~np.isnan(r2)]
    assert r2.min() < 1.0 < r2.max()  # amyloid-like (WM > GM) and FDG-like draws both occur


def test_pet_extra_table_must_cover_every_extra_label():
    from synthzoo.generators.domains.pet import Uptake

    gen = GENERATORS.get("pet")(contrast="fixed", spacing=2.0)
    uptake = next(s for s in gen.steps if isinstance(s, Uptake))
    assert len(uptake.extra_table) == gen.n_extra
    uptake.extra_table = uptake.extra_table[:-1]
    g = torch.Generator().manual_seed(0)
    labels = gen.default_labels(batch=1, size=32, dims=2, generator=g)
    with pytest.raises(ValueError, match="extra_table gives"):
        gen(labels, generator=g)


@pytest.mark.parametrize("name", ["ct", "pet"])
def test_unknown_contrast_is_refused(name):
    with pytest.raises(ValueError, match="unknown contrast 'mri'"):
        GENERATORS.get(name)(contrast="mri")


def test_ct_head_protocols_store_windows_in_0_1_and_raw_in_hu(tmp_path):
    import synthzoo.datasets as ds

    ds.build("ct-head", tmp_path, size=32, cases=1)
    ts = ds.open("ct-head", tmp_path)
    by = {c.contrast: np.asarray(c.image) for c in ts}
    for name in ("brain-window", "subdural-window-lowdose"):
        assert by[name].min() >= 0.0 and by[name].max() <= 1.0
    for name in ("hu-cupping", "hu-bone-kernel"):
        assert np.percentile(by[name], 5) < -800 and np.percentile(by[name], 99.5) > 500  # air, bone


def test_pet_brain_tracers_set_the_grey_white_ratio(tmp_path):
    import synthzoo.datasets as ds

    ds.build("pet-brain", tmp_path, size=48, cases=1, contrasts=["fdg", "amyloid-negative"])
    ratio = {}
    for c in ds.open("pet-brain", tmp_path):
        img, lab = np.asarray(c.image), np.asarray(c.labels)
        ratio[c.contrast] = img[lab == 2].mean() / img[lab == 3].mean()
    assert ratio["fdg"] > 1.3 and ratio["amyloid-negative"] < 1.0


@pytest.mark.parametrize("name", ["ct", "pet"])
def test_ct_and_pet_partial_volume_average_the_1mm_synthesis_onto_the_output_grid(name):
    import torch.nn.functional as F

    still = dict(rotation=0.0, scaling=1.0, shear=0.0, svf_std=0.0, flip=0.0)  # labels as drawn
    gen = create(name, spacing=1.5, partial_volume=True, **still)
    assert gen.synthesis_spacing == 1.0 and gen.config()["partial_volume"] is True
    g = torch.Generator().manual_seed(0)
    lab = gen.default_labels(batch=2, size=48, dims=2, generator=g)
    assert lab.shape == (2, 1, 72, 72)
    s = gen(lab, generator=g)
    assert s.image.shape == s.labels.shape == (2, 1, 48, 48) and s.spacing == (1.5, 1.5)
    fine = gen.target_lut[lab]
    frac = F.interpolate(F.one_hot(fine[:, 0], len(gen.label_names)).movedim(-1, 1).float(), size=(48, 48), mode="area")
    assert torch.equal(s.labels, frac.argmax(1, keepdim=True))
    plain = create(name, spacing=1.5)
    assert plain.synthesis_spacing == 1.5 and plain.config()["partial_volume"] is False
