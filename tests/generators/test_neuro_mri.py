import numpy as np
import torch

from gen_helpers import class_values_and_expected
from synthzoo.generators import anatomy, create


def test_anatomy_split_is_disjoint_with_guard_band():
    train, test = set(anatomy.training_z().tolist()), set(anatomy.heldout_z().tolist())
    assert not train & test
    lo, hi = anatomy.HELDOUT_Z
    assert all(z < lo - anatomy.GUARD or z >= hi + anatomy.GUARD for z in train)
    nz = anatomy.tissue_probabilities().shape[-1]
    assert len(train) == nz - (hi - lo) - 2 * anatomy.GUARD


def test_training_labels_exclude_heldout_slab():
    full = anatomy.tissue_probabilities().argmax(0)
    train = anatomy.training_labels(1.0)
    held = anatomy.heldout_labels(1.0)
    assert train.shape[-1] == len(anatomy.training_z())
    assert np.array_equal(train, full[..., anatomy.training_z()])
    assert np.array_equal(held, full[..., anatomy.heldout_z()])
    # every class, CSF included (derived from the mask), exists on both sides of the split
    for lab in (train, held):
        counts = np.bincount(lab.ravel(), minlength=4)
        assert counts.shape == (4,) and np.all(counts[1:] > 1000)


def test_default_labels_have_brain_and_nonbrain_shell():
    gen = create("neuro-mri", spacing=4.0)
    lab = gen.default_labels(batch=2, size=48, dims=3, generator=torch.Generator().manual_seed(0))
    values = set(lab.unique().tolist())
    assert {0, 1, 2, 3} <= values and any(v >= 4 for v in values)
    # the shell surrounds the brain: non-brain labels touch brain labels, background is outside
    s = gen(lab, generator=torch.Generator().manual_seed(1))
    assert set(s.labels.unique().tolist()) <= {0, 1, 2, 3}
    assert gen.label_names == ("background", "csf", "gray_matter", "white_matter")


def test_intensities_without_artifacts_follow_drawn_means():
    gen = create(
        "neuro-mri", spacing=4.0, stds=0.0, rotation=0.0, scaling=1.0, shear=0.0, svf_std=0.0,
        flip=0.0, bias_std=0.0, gamma_std=0.0, noise_std=0.0, iso_resolution=4.0,
        thick_resolution=4.0,
    )
    lab = gen.default_labels(batch=2, size=48, dims=3, generator=torch.Generator().manual_seed(0))
    params = gen.sample_params(lab, generator=torch.Generator().manual_seed(3))
    s = gen.apply(lab, params=params)
    means = params[1]["means"][:, 0]  # (B, n_labels) drawn by the Gaussian mixture
    for b in range(2):
        for vals, e in class_values_and_expected(s.image, lab, means, b):
            assert torch.allclose(vals, torch.full_like(vals, e), atol=1e-5)


def test_2d_slices_come_from_training_anatomy():
    gen = create("neuro-mri", spacing=2.0, n_extra=0)
    train = torch.from_numpy(anatomy.training_labels(2.0))
    X, Y = train.shape[:2]
    lab = gen.default_labels(batch=3, size=(X + 2, Y + 4), dims=2, generator=torch.Generator().manual_seed(0))
    slices = {train[..., z].numpy().tobytes() for z in range(train.shape[-1])}
    for b in range(3):
        sl = lab[b, 0]
        assert int(sl[0].abs().sum()) == 0 and int(sl[:, :2].abs().sum()) == 0  # zero padding
        assert sl[1:-1, 2:-2].numpy().tobytes() in slices  # an axial slice of training anatomy
