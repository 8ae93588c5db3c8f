"""The split: no test-set anatomy appears in any training label source, and vice versa."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import synthzoo.datasets as ds
from synthzoo.datasets import neuro_mri as neuro
from synthzoo.generators import GENERATORS, anatomy


def _fit2d(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, a.dtype)
    src, dst = [], []
    for n, m in zip(a.shape, shape):
        if n >= m:
            s = (n - m) // 2
            src.append(slice(s, s + m)), dst.append(slice(0, m))
        else:
            s = (m - n) // 2
            src.append(slice(0, n)), dst.append(slice(s, s + n))
    out[tuple(dst)] = a[tuple(src)]
    return out


def _max_slice_dice(test: np.ndarray, train: np.ndarray) -> float:
    """Largest mean (CSF, GM, WM) Dice between any axial slice of ``test`` and of ``train``
    (both ``(X, Y, Z)``, centre-fitted to a common in-plane shape)."""
    shape = (max(test.shape[0], train.shape[0]), max(test.shape[1], train.shape[1]))
    best = 0.0
    h = [_fit2d(test[..., i], shape) for i in range(test.shape[2])]
    t = [_fit2d(train[..., j], shape) for j in range(train.shape[2])]
    for a in h:
        if not (a > 0).any():
            continue
        for b in t:
            d = [2 * np.sum((a == k) & (b == k)) / max(np.sum(a == k) + np.sum(b == k), 1) for k in (1, 2, 3)]
            best = max(best, float(np.mean(d)))
    return best


def test_slabs_are_disjoint_with_a_guard_band():
    held, train = set(anatomy.heldout_z().tolist()), set(anatomy.training_z().tolist())
    assert held and train and not held & train
    assert min(abs(h - t) for h in held for t in train) > anatomy.GUARD


def test_testset_cases_record_heldout_anatomy(tiny_root):
    from synthzoo.anatomy import get_source

    held = set(get_source("synthseg-20").heldout)
    subjects = set()
    for case in ds.open("neuro-contrasts", tiny_root):
        p = case.attrs["parameters"]
        if case.contrast == "mni152-t1":
            assert f"z={anatomy.HELDOUT_Z[0]}:{anatomy.HELDOUT_Z[1]}" in case.attrs["anatomy"]
        else:
            assert p["subject"] in held and case.attrs["anatomy"] == f"synthseg-20 subject {p['subject']}"
            subjects.add(p["subject"])
    assert subjects == held  # 2 cases x 8 contrasts rotate over all five held-out subjects


def test_neuro_builder_never_reads_training_anatomy(tmp_path, monkeypatch):
    from synthzoo.anatomy.base import AnatomySource

    def forbidden(*a, **k):
        raise AssertionError("test-set builder touched the training anatomy")

    monkeypatch.setattr(anatomy, "training_labels", forbidden)
    monkeypatch.setattr(anatomy, "training_z", forbidden)
    monkeypatch.setattr(AnatomySource, "training_volume", forbidden)
    neuro.subject_fractions.cache_clear()
    neuro.mni_case.cache_clear()
    try:
        ds.build("neuro-contrasts", tmp_path, size=32, contrasts=["t1w-gre-1.5t", "mni152-t1"])
    finally:
        neuro.subject_fractions.cache_clear()
        neuro.mni_case.cache_clear()
    assert ds.verify("neuro-contrasts", tmp_path)["ok"]


def test_case_labels_equal_the_heldout_subject_voxel_for_voxel(tiny_root):
    """Independent of the builder and the compact cache: the raw NIfTI of the case's subject,
    reoriented, mapped to tissue classes, cropped and averaged over each grid voxel, gives the
    case's labels exactly; a training subject does not."""
    import json
    import os

    import nibabel as nib
    import torch.nn.functional as F

    from synthzoo.anatomy import synthseg

    man = synthseg.MANIFEST
    tissue = {lab["value"]: ("background", "csf", "gray_matter", "white_matter").index(lab["tissue"])
              for lab in man["labels"]}
    mirror = os.environ.get("SYNTHZOO_MIRROR", "").split(os.pathsep)[0]
    ts = ds.open("neuro-contrasts", tiny_root)
    case = ts["t2w-se-1.5t-001"]
    sp = case.spacing[0]

    def labels_of(subject):
        raw = np.asarray(nib.as_closest_canonical(nib.load(f"{mirror}/{man['files'][subject]['name']}")).dataobj)
        raw = np.rint(raw).astype(int)
        nz = np.nonzero(raw)
        box = tuple(slice(max(0, int(i.min()) - 2), int(i.max()) + 3) for i in nz)
        t = np.vectorize(tissue.get)(raw[box])
        shape = [max(1, round(n / sp)) for n in t.shape]
        frac = [F.adaptive_avg_pool3d(torch.from_numpy((t == k).astype(np.float32))[None, None], shape)[0, 0]
                for k in range(4)]
        return torch.stack(frac).argmax(0).numpy()

    subject = case.attrs["parameters"]["subject"]
    assert np.array_equal(labels_of(subject), np.asarray(case.labels))
    other = labels_of("01")
    assert other.shape != case.labels.shape or not np.array_equal(other, np.asarray(case.labels))


def test_no_heldout_slice_in_the_training_anatomy():
    """Every held-out slice differs from every training slice more than neighbouring 1 mm
    slices differ from each other (measured: max Dice 0.59 vs 0.77 for neighbours)."""
    train = anatomy.training_labels(1.0)
    neighbours = np.mean([_max_slice_dice(train[..., j : j + 1], train[..., j + 1 : j + 2]) for j in range(20, 140, 10)])
    assert _max_slice_dice(anatomy.heldout_labels(1.0), train) < min(0.7, neighbours)


@pytest.mark.parametrize("name", GENERATORS.names())
def test_generators_read_only_training_subjects(name, monkeypatch):
    """Every registered generator's default label source reads only training subjects of any
    anatomy source (``_load`` spied) and never asks for a held-out volume."""
    from synthzoo.anatomy.base import AnatomySource

    cls = GENERATORS.get(name)
    read = []
    real_load = {}

    def forbidden(*a, **k):
        raise AssertionError(f"generator {name!r} asked for held-out anatomy")

    for sub in AnatomySource.__subclasses__():
        real_load[sub] = sub._load

        def spy(self, subject, *, offline=False, _real=real_load[sub]):
            read.append((self.name, subject))
            return _real(self, subject, offline=offline)

        monkeypatch.setattr(sub, "_load", spy)
    monkeypatch.setattr(AnatomySource, "heldout_volume", forbidden)
    from synthzoo.generators.physics import anatomy as gen_anatomy

    gen_anatomy._RESAMPLED.clear()  # make every subject go through _load again
    g = torch.Generator().manual_seed(0)
    for dims in cls.dims:
        gen = cls()
        for _ in range(3):
            lab = gen.default_labels(batch=4, size=16, dims=dims, generator=g)
            assert lab.dtype == torch.int64 and lab.shape[:2] == (4, 1)
    from synthzoo.anatomy import get_source

    for src, subject in read:
        assert subject not in get_source(src).heldout, (name, src, subject)


@pytest.mark.parametrize("name", GENERATORS.names())
def test_generators_mni_labels_never_use_heldout_slab(name, monkeypatch):
    """Every registered generator's MNI152 label source (where it has one): it never calls the held-out anatomy,
    and where it uses the brain anatomy, no held-out slice appears in what it returns."""
    cls = GENERATORS.get(name)

    def forbidden(*a, **k):
        raise AssertionError(f"generator {name!r} touched the held-out anatomy")

    used = []
    real_training = anatomy.training_labels

    def spy(*a, **k):
        used.append(a)
        return real_training(*a, **k)

    monkeypatch.setattr(anatomy, "heldout_labels", forbidden)
    monkeypatch.setattr(anatomy, "heldout_z", forbidden)
    monkeypatch.setattr(anatomy, "training_labels", spy)
    g = torch.Generator().manual_seed(0)
    mni = {"anatomy": "mni152-tissue"} if "anatomy" in cls.__init__.__code__.co_varnames else {}
    for dims in cls.dims:
        gen = cls(**mni)
        lab = gen.default_labels(batch=1, size=16, dims=dims, generator=g)
        assert lab.dtype == torch.int64 and lab.shape[:2] == (1, 1)
    if not used:
        return  # this generator's labels do not come from the MNI152 template
    # the full training volume as this generator sees it, at 2 mm to keep the test quick
    kw = {"spacing": 2.0} if "spacing" in cls.__init__.__code__.co_varnames else {}
    gen = cls(**kw, **mni)
    vol = gen.default_labels(batch=1, size=(100, 120, 96), dims=3, generator=g)[0, 0].numpy()
    vol = np.where(vol <= 3, vol, 0)  # drop the generator's non-brain shapes
    monkeypatch.undo()
    held = anatomy.heldout_labels(2.0)
    assert (vol > 0).sum() > 0.9 * (real_training(2.0) > 0).sum()  # the whole training source is compared
    assert _max_slice_dice(held, vol) < 0.75  # measured for neuro-mri, ct, pet: 0.61
    # positive control: the same comparison finds a training slice (Dice 1)
    assert _max_slice_dice(real_training(2.0)[..., 10:11], vol) > 0.99

