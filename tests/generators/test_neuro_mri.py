import numpy as np
import torch

from gen_helpers import class_values_and_expected
from synthzoo.generators import create
from synthzoo.generators.physics import anatomy


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
    gen = create("neuro-mri", spacing=4.0, anatomy="mni152-tissue")
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
    gen = create("neuro-mri", spacing=2.0, n_extra=0, anatomy="mni152-tissue")
    train = torch.from_numpy(anatomy.training_labels(2.0))
    X, Y = train.shape[:2]
    lab = gen.default_labels(batch=3, size=(X + 2, Y + 4), dims=2, generator=torch.Generator().manual_seed(0))
    slices = {train[..., z].numpy().tobytes() for z in range(train.shape[-1])}
    for b in range(3):
        sl = lab[b, 0]
        assert int(sl[0].abs().sum()) == 0 and int(sl[:, :2].abs().sum()) == 0  # zero padding
        assert sl[1:-1, 2:-2].numpy().tobytes() in slices  # an axial slice of training anatomy


# --------------------------------------------------------------------------- synthseg-20
def test_synthseg_slices_are_axial_slices_of_training_subjects():
    from synthzoo.anatomy import get_source

    src = get_source("synthseg-20")
    gen = create("neuro-mri")  # synthseg-20, 1 mm
    vols = [src.training_volume(s) for s in src.train_subjects]
    X = max(v.shape[0] for v in vols) + 2
    Y = max(v.shape[1] for v in vols) + 2
    slices = {np.ascontiguousarray(v[:, :, z]).astype(np.int64).tobytes(): v.shape for v in vols
              for z in range(v.shape[2])}
    lab = gen.default_labels(batch=4, size=(X, Y), dims=2, generator=torch.Generator().manual_seed(0))
    for b in range(4):
        sl = lab[b, 0].numpy()
        rows, cols = np.nonzero(sl)
        found = False
        for shape in {s for s in slices.values()}:  # unpadded window of a subject's slice shape
            for r0 in range(X - shape[0] + 1):
                for c0 in range(Y - shape[1] + 1):
                    win = sl[r0:r0 + shape[0], c0:c0 + shape[1]]
                    if win.sum() == sl.sum() and np.ascontiguousarray(win).tobytes() in slices:
                        found = True
                        break
                if found:
                    break
            if found:
                break
        assert found, f"sample {b} is not an axial slice of a training subject"


def test_head_slices_add_slices_with_little_or_no_brain():
    """2D samples are brain slices (area >= 10 % of the largest); ``p_head_slice`` adds slices
    of the whole head (skull base, face, vertex), where a whole-volume prediction also runs."""
    import pytest
    from synthzoo.anatomy import get_source

    src = get_source("synthseg-20")
    brain = torch.as_tensor(src.target("brain")[1], dtype=torch.bool)
    vols = [torch.from_numpy(np.array(src.training_volume(s))) for s in src.train_subjects]
    least = min(int(brain[v.long()].sum((0, 1)).max()) for v in vols)

    def brain_areas(p: float) -> torch.Tensor:
        gen = create("neuro-mri", p_head_slice=p)
        assert gen.config()["p_head_slice"] == p
        lab = gen.default_labels(batch=64, size=(256, 256), dims=2,
                                 generator=torch.Generator().manual_seed(0))
        return brain[lab[:, 0]].sum((1, 2))

    # without head slices no sample has less brain than 10 % of the smallest subject's maximum
    assert int(brain_areas(0.0).min()) >= 0.1 * least
    # with head slices only, a good share of samples has little or no brain
    areas = brain_areas(1.0)
    assert float((areas < 0.1 * least).float().mean()) > 0.15
    for name in ("neuro-mri", "ct", "pet"):
        with pytest.raises(ValueError, match="p_head_slice"):
            create(name, p_head_slice=1.5)


def test_synthseg_every_label_gets_its_own_intensity_and_targets_map():
    gen = create("neuro-mri", rotation=0.0, scaling=1.0, shear=0.0, svf_std=0.0, flip=0.0, stds=0.0,
                 bias_std=0.0, gamma_std=0.0, noise_std=0.0, iso_resolution=1.0, thick_resolution=1.0)
    assert gen.n_labels == 54 and gen.label_names == ("background", "csf", "gray_matter", "white_matter")
    g = torch.Generator().manual_seed(0)
    lab = gen.default_labels(batch=2, size=96, dims=2, generator=g)
    params = gen.sample_params(lab, generator=g)
    s = gen.apply(lab, params=params)
    assert params[1]["means"].shape == (2, 1, 54)
    for b in range(2):
        for vals, e in class_values_and_expected(s.image, lab, params[1]["means"][:, 0], b):
            assert torch.allclose(vals, torch.full_like(vals, e), atol=1e-5)
    # target: cortex (3/42) -> GM, cerebral WM (2/41) -> WM, ventricles (4/43) -> CSF, skull (515) -> bg
    from synthzoo.anatomy import get_source

    values = get_source("synthseg-20").label_values
    lut = gen.target_lut.tolist()
    for v, t in ((3, 2), (42, 2), (2, 3), (41, 3), (4, 1), (43, 1), (24, 1), (10, 2), (515, 0), (507, 0)):
        assert lut[values.index(v)] == t, v
    brain = create("neuro-mri", target="brain")
    assert brain.label_names == ("background", "brain")
    assert [brain.target_lut.tolist()[values.index(v)] for v in (0, 3, 4, 17, 515, 511)] == [0, 1, 1, 1, 0, 0]


def test_t1w_contrast_is_fixed_and_t1_weighted():
    gen = create("neuro-mri", contrast="t1w", rotation=0.0, scaling=1.0, shear=0.0, svf_std=0.0,
                 flip=0.0, bias_std=0.0, noise_std=0.0, iso_resolution=1.0, thick_resolution=1.0,
                 p_head_slice=0.0)  # slices with brain: every sample has the three tissues
    g = torch.Generator().manual_seed(0)
    lab = gen.default_labels(batch=4, size=128, dims=2, generator=g)
    s = gen(lab, generator=g)
    t = s.labels
    for b in range(4):
        img = s.image[b, 0]
        csf, gm, wm = (img[t[b, 0] == k].mean() for k in (1, 2, 3))
        assert csf < gm < wm  # T1-weighted in every sample
    try:
        create("neuro-mri", contrast="t3w")
    except ValueError as exc:
        assert "unknown contrast 't3w'; valid: random, t1w" in str(exc)
    else:
        raise AssertionError("an unknown contrast was accepted")


def test_stripped_samples_are_zero_outside_the_brain_and_sometimes_lose_the_outer_csf():
    """``p_stripped``: after the acquisition a skull-stripped sample is zero outside the brain
    mask and its target is background there; half of them also lose the CSF around the brain
    (FreeSurfer label 24).  ``p_stripped=0`` leaves every draw as it was."""
    import pytest

    def sample(**extra):
        return _slices(dict(p_head_slice=0.0, bias_std=0.0, noise_std=(0.01, 0.02), **extra),
                       seed=3, batch=12, size=128)

    gen, s, plain = _off_then_on(sample, "p_stripped", {})
    cut = []
    for b in range(s.image.shape[0]):
        head, brain = plain.labels[b, 0], s.labels[b, 0]
        outside = head == 0
        # before: the head around the brain has signal (skull, scalp); after: zero
        assert float((plain.image[b, 0][outside] > 0.05).float().mean()) > 0.2
        assert bool((s.image[b, 0][brain == 0] == 0).all()) and bool((s.image[b, 0][brain > 0] > 0).all())
        # the brain keeps its classes; only CSF may be cut from it
        assert torch.equal(brain[brain > 0], head[brain > 0])
        lost = (head > 0) & (brain == 0)
        assert bool((head[lost] == 1).all())
        csf_cut = int(lost.sum())
        cut.append((csf_cut > 0, bool((brain == 1).any())))
    assert any(c for c, _ in cut) and not all(c for c, _ in cut)
    assert any(c and left for c, left in cut)  # where ventricles are in the slice, they stay
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="p_stripped"):
            create("neuro-mri", p_stripped=bad)
    with pytest.raises(ValueError, match="whole-head"):
        create("neuro-mri", anatomy="mni152-tissue", p_stripped=0.5)


def test_partial_volume_synthesizes_on_the_anatomy_grid_and_averages_onto_the_output():
    import torch.nn.functional as F

    off = dict(rotation=0.0, scaling=1.0, shear=0.0, svf_std=0.0, flip=0.0, stds=0.0, bias_std=0.0,
               gamma_std=0.0, noise_std=0.0, iso_resolution=1.0, thick_resolution=1.0)
    gen = create("neuro-mri", spacing=1.5, partial_volume=True, **off)
    assert gen.synthesis_spacing == 1.0 and gen.config()["partial_volume"] is True
    g = torch.Generator().manual_seed(0)
    lab = gen.default_labels(batch=2, size=64, dims=2, generator=g)
    assert lab.shape == (2, 1, 96, 96)  # 64 voxels of 1.5 mm drawn on the 1 mm grid
    params = gen.sample_params(lab, generator=g)
    s = gen.apply(lab, params=params)
    assert s.image.shape == s.labels.shape == (2, 1, 64, 64) and s.spacing == (1.5, 1.5)
    # the target is the majority tissue of the fine voxels each output voxel covers ...
    fine_target = gen.target_lut[lab]
    frac = F.interpolate(F.one_hot(fine_target[:, 0], 4).movedim(-1, 1).float(), size=(64, 64), mode="area")
    assert torch.equal(s.labels, frac.argmax(1, keepdim=True))
    # ... and the image their mean: voxels on a tissue boundary are blends, found nowhere in
    # the same sample drawn without partial volume
    means = params[1]["means"][:, 0]
    fine_image = means.gather(1, lab.flatten(1)).view(lab.shape)
    lo, hi = fine_image.amin((1, 2, 3), keepdim=True), fine_image.amax((1, 2, 3), keepdim=True)
    expected = F.interpolate((fine_image - lo) / (hi - lo), size=(64, 64), mode="area")
    assert torch.allclose(s.image, expected, atol=1e-4)
    for b in range(2):
        levels = (means[b] - lo[b].flatten()) / (hi[b] - lo[b]).flatten()  # the pure tissues
        pure = torch.isclose(s.image[b, 0, ..., None], levels, atol=1e-4).any(-1)
        assert (~pure).float().mean() > 0.05
    # without it (the default) the samples stay on the output grid, drawn as before
    plain = create("neuro-mri", spacing=1.5, **off)
    assert plain.synthesis_spacing == 1.5 and plain.config()["partial_volume"] is False
    assert plain.default_labels(batch=1, size=64, dims=2, generator=g).shape == (1, 1, 64, 64)


def test_neuro_mri_p_fov_crops_the_field_of_view_before_normalising_and_is_off_by_default():
    """``p_fov``: a sample keeps a random box of its field of view; outside it the image is 0
    (the minimum after normalisation, as zero padding at inference is) and the target is
    background.  ``p_fov=0`` leaves every draw as it was."""
    def sample(**extra):
        return _slices(dict(p_head_slice=0.0, noise_std=(0.01, 0.02), **extra), seed=5, batch=6, size=96)

    gen, s, _ = _off_then_on(sample, "p_fov", {"fov": (0.4, 0.6)})
    for b in range(s.image.shape[0]):
        img, lab = s.image[b, 0], s.labels[b, 0]
        assert float(img.min()) == 0.0 and float(img.max()) == 1.0
        signal = img > 0
        rows, cols = signal.any(1).nonzero().flatten(), signal.any(0).nonzero().flatten()
        box = torch.zeros_like(signal)
        box[int(rows[0]) : int(rows[-1]) + 1, int(cols[0]) : int(cols[-1]) + 1] = True
        assert float(box.float().mean()) <= 0.6 * 0.6 + 0.05
        assert bool((lab[~box] == 0).all())  # no tissue target outside the kept box


def _slices(kwargs, *, seed, batch, size):
    """A ``neuro-mri`` generator of ``kwargs`` and a batch of its 2D samples drawn with ``seed``."""
    gen = create("neuro-mri", **kwargs)
    g = torch.Generator().manual_seed(seed)
    lab = gen.default_labels(batch=batch, size=(size, size), dims=2, generator=g)
    return gen, gen.apply(lab, params=gen.sample_params(lab, generator=g))


def _off_then_on(sample, option, extra):
    """``option`` at 0 draws exactly what the generator without it draws; returns the
    generator and samples with ``option`` at 1 (and ``extra``), and the samples without it."""
    gen0, plain = sample()
    _, same = sample(**{option: 0.0})
    assert gen0.config()[option] == 0.0 and torch.equal(plain.image, same.image)
    gen, s = sample(**{option: 1.0}, **extra)
    assert gen.config()[option] == 1.0
    return gen, s, plain
