"""Physics and behaviour of the OCT domain: generator, test set and models.

Run from a synthzoo checkout with this package installed (``tests/test_plugins.py`` does it
for the repository's suite):  ``python -m pytest examples/synthzoo-oct/tests``.  The contract
tests of synthzoo (``tests/*/test_*contract.py``) cover the rest: shapes, replay, verification.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from synthzoo.generators.engine.base import Geometry, State
from synthzoo_oct.generator import (INNER, OUTER, TARGET_LUT, VESSEL, DepthAttenuation, LogCompression,
                                    RetinalOCT, Speckle, VesselShadow, retina_labels)
from synthzoo_oct.testset import CONTRASTS, TARGET, OCTRetinaDevices, anatomy, geometry, simulate


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _geom(shape, n_labels: int = 11) -> Geometry:
    return Geometry(shape[0], tuple(shape[2:]), n_labels, torch.device("cpu"), (1.0,) * (len(shape) - 2))


def test_layers_are_ordered_and_their_count_varies():
    counts = set()
    for seed in range(12):
        lab = retina_labels((64, 48), generator=_g(seed), max_vessels=0)
        lut = torch.tensor(TARGET_LUT)[lab]
        for col in lut.T:  # along depth, targets never go back up: vitreous, inner, outer, choroid
            assert (col[1:] >= col[:-1]).all()
        counts.add(len(set(lab.unique().tolist()) & set(INNER + OUTER)))
    assert len(counts) >= 3, f"layer counts drawn: {counts}"


def test_flattened_scans_have_a_straight_rpe_and_the_fovea_thins_the_inner_retina():
    for seed in range(6):
        lab = retina_labels((96, 64), generator=_g(seed), p_flat=1.0, p_fovea=1.0, max_vessels=0)
        lut = torch.tensor(TARGET_LUT)[lab]
        rpe_bottom = (lut <= 2).sum(0)  # first choroid row per column
        assert int(rpe_bottom.max() - rpe_bottom.min()) <= 1
        inner = (lut == 1).sum(0).float()
        assert float(inner.min()) < 0.6 * float(inner.max())


def test_vessels_shadow_the_tissue_below_them_only():
    lab = torch.ones((1, 1, 16, 8), dtype=torch.long)
    lab[..., 4, 3] = VESSEL
    img = torch.ones((1, 1, 16, 8))
    out = VesselShadow(strength=0.8).apply(State(lab, img), params={"strength": torch.tensor([0.8])}).image[0, 0]
    assert torch.allclose(out[5:, 3], torch.full((11,), 0.2))
    assert (out[:5, 3] == 1).all() and (out[:, [0, 1, 2, 4, 5, 6, 7]] == 1).all()


def test_attenuation_decays_with_the_tissue_crossed():
    lab = torch.zeros((1, 1, 32, 4), dtype=torch.long)
    lab[..., 8:, :] = 1
    img = torch.ones((1, 1, 32, 4))
    step = DepthAttenuation()
    out = step.apply(State(lab, img), params={"attenuation": torch.tensor([2.0]), "rolloff": torch.tensor([0.0])}).image
    col = out[0, 0, :, 0]
    assert torch.allclose(col[:8], torch.ones(8))  # no tissue crossed yet (vitreous)
    assert (col[9:] < col[8:-1]).all()
    assert torch.allclose(col[-1], torch.exp(torch.tensor(-2 * 2.0 * 24 / 32)))


@pytest.mark.parametrize("looks", [1, 9])
def test_speckle_is_fully_developed_and_averaging_reduces_it(looks):
    """One frame: exponential intensity statistics (contrast std/mean = 1); L independent frames:
    contrast 1/sqrt(L) (Goodman, Speckle Phenomena in Optics, 2007)."""
    R = torch.ones((4, 1, 128, 128))
    step = Speckle(axial=0.0, lateral=0.0, looks=float(looks), snr_db=80.0, max_looks=16)
    p = step.sample_params(_geom(R.shape), generator=_g(1))
    inten = step.apply(State(torch.zeros_like(R, dtype=torch.long), R), params=p).image
    contrast = float(inten.std() / inten.mean())
    assert abs(contrast - looks ** -0.5) < 0.05 * looks ** -0.5 + 0.02


def test_log_display_spans_the_dynamic_range():
    img = torch.tensor([1e-6, 1e-3, 1e-1, 1.0]).view(1, 1, 2, 2)
    out = LogCompression().apply(State(torch.zeros_like(img, dtype=torch.long), img),
                                 params={"dynamic_range": torch.tensor([40.0])}).image.flatten()
    assert torch.allclose(out, torch.tensor([0.0, 0.25, 0.75, 1.0]))


def test_fixed_device_is_narrower_than_random_contrasts():
    lab = RetinalOCT().default_labels(batch=8, size=48, dims=2, generator=_g(3))
    spread = {}
    for contrast in ("random", "fixed"):
        gen = RetinalOCT(contrast=contrast)
        s = gen(lab, generator=_g(4))
        inner = [float(s.image[b][s.labels[b] == 1].mean()) for b in range(8)]
        spread[contrast] = float(np.std(inner))
    assert spread["fixed"] < 0.5 * spread["random"], spread


def test_volumes_are_stacks_of_b_scans_with_depth_first():
    gen = RetinalOCT()
    lab = gen.default_labels(batch=1, size=(32, 12, 24), dims=3, generator=_g(5))
    lut = torch.tensor(TARGET_LUT)[lab[0, 0]]
    assert (lut[0] == 0).float().mean() > 0.9 and (lut[-1] == 3).float().mean() > 0.9  # vitreous top, choroid bottom


def test_testset_anatomy_has_a_foveal_pit_and_vessels_shadow_the_image():
    r = np.random.default_rng(7)
    g = geometry(r)
    g.update(offset=0.0, off_axis=0.0, pit_depth=0.95)
    lab = TARGET[anatomy(128, g)]
    inner = (lab == 1).sum(0)
    assert inner[64] < 0.3 * inner[10] and inner[64] < 0.3 * inner[-10]
    anat = anatomy(256, g)
    img = simulate(anat, CONTRASTS["sd-870-averaged"], np.random.default_rng(1))
    assert img.dtype == np.float32 and img.min() >= 0 and img.max() <= 255 and np.allclose(img, np.round(img))
    cx = int(round((g["vessels"][0][0] + 0.5) * 128))
    rows = slice(int(np.argmax((lab[:, cx] == 2))), int(np.argmax((lab[:, cx] == 3))))  # outer retina
    below = img[rows, cx].mean()
    side = np.mean([img[rows, c].mean() for c in (cx - 12, cx + 12) if 0 <= c < 128])
    assert below < side


def test_swept_source_sees_deeper_than_spectral_domain():
    g = geometry(np.random.default_rng(11))
    anat = anatomy(256, g)
    lab = TARGET[anatomy(128, g)]
    ratio = {}
    for name in ("sd-840-single", "ss-1050"):
        img = simulate(anat, CONTRASTS[name], np.random.default_rng(2))
        ratio[name] = img[lab == 3].mean() / img[lab == 2].mean()
    assert ratio["ss-1050"] > ratio["sd-840-single"] * 1.2, ratio


def test_randomized_model_holds_up_on_every_device(tmp_path):
    """The bundled models on the test set at quick size (3 cases per device): the randomized
    one segments every device (mean foreground Dice > 0.75 per device) and its worst device
    is better than the fixed-device baseline's worst one."""
    import json

    from synthzoo.benchmarks.runner import run

    models = ("oct-retina-layers-unet-2d", "oct-retina-layers-unet-2d-fixed")
    run(models=list(models), testsets=[OCTRetinaDevices.name], root=tmp_path / "data",
        out=tmp_path / "out", quick=True, progress=False)
    recs = [json.loads(line) for line in (tmp_path / "out" / "records.jsonl").read_text().splitlines()]
    assert {r["contrast"] for r in recs} == set(CONTRASTS)
    worst = {m: min(np.mean([r["dice"] for r in recs if r["model"] == m and r["foreground"] and r["contrast"] == c])
                    for c in CONTRASTS) for m in models}
    assert worst[models[0]] > 0.75 and worst[models[0]] > worst[models[1]], worst
