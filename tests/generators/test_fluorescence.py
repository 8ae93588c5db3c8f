"""Fluorescence: packed nuclei, z-elongated PSF, shot + read noise, instance labels."""

import pytest
import torch

from synthzoo.generators import create
from synthzoo.generators.engine.base import Geometry, State
from synthzoo.generators.domains.fluorescence import PSF, CameraNoise


def _geom(shape):
    return Geometry(shape[0], tuple(shape[2:]), 1, torch.device("cpu"), (1.0,) * (len(shape) - 2))


def _run(step, img, seed=0):
    p = step.sample_params(_geom(img.shape), generator=torch.Generator().manual_seed(seed))
    return step.apply(State(torch.zeros_like(img).long(), img), params=p).image, p


def test_psf_of_a_point_is_longer_along_z():
    img = torch.zeros((1, 1, 33, 33, 33))
    img[0, 0, 16, 16, 16] = 1.0
    out, p = _run(PSF(sigma_xy=1.0, z_ratio=3.0), img)
    x = torch.arange(33.0) - 16
    prof = [out[0, 0].sum(dim=tuple(a for a in range(3) if a != axis)) for axis in range(3)]
    spread = [float((pr * x**2).sum() / pr.sum()).__pow__(0.5) for pr in prof]
    assert spread[0] == pytest.approx(3.0, rel=0.1)
    assert spread[1] == pytest.approx(1.0, rel=0.1) and spread[2] == pytest.approx(1.0, rel=0.1)
    assert torch.allclose(p["sigma"], torch.tensor([[3.0, 1.0, 1.0]]))


def test_generated_volume_is_smoother_along_z():
    gen = create("fluorescence", out_size=32, photons=1e6, read_noise=0.0, background=0.0)
    g = torch.Generator().manual_seed(0)
    labels = gen.default_labels(batch=2, size=32, dims=3, generator=g)
    img = gen(labels, generator=g).image
    dz = (img[:, :, 1:] - img[:, :, :-1]).square().mean()
    dx = (img[..., 1:] - img[..., :-1]).square().mean()
    assert dz < 0.6 * dx


def test_shot_noise_variance_equals_mean():
    img = torch.full((1, 1, 200, 200), 0.5)
    out, _ = _run(CameraNoise(photons=100.0, read=0.0), img)
    counts = out * 100.0
    assert float(counts.mean()) == pytest.approx(50.0, rel=0.02)
    assert float(counts.var()) == pytest.approx(float(counts.mean()), rel=0.05)
    assert torch.allclose(counts, counts.round())  # whole photons


def test_read_noise_adds_variance():
    img = torch.full((1, 1, 200, 200), 0.2)
    out, _ = _run(CameraNoise(photons=100.0, read=3.0), img)
    counts = out * 100.0
    assert float(counts.var()) == pytest.approx(20.0 + 9.0, rel=0.06)


def test_density_controls_object_count():
    def count(fill):
        gen = create("fluorescence", instances=True, fill=fill, object_size=8.0)
        lab = gen.default_labels(batch=1, size=64, dims=2, generator=torch.Generator().manual_seed(0))
        return lab.unique().numel() - 1

    assert count(0.2) < 0.5 * count(1.0)
    assert count(1.0) > 30


def test_instance_and_binary_targets():
    g = torch.Generator().manual_seed(0)
    inst = create("fluorescence", instances=True, out_size=48)
    labels = inst.default_labels(batch=1, size=48, dims=2, generator=g)
    ids = labels.unique()
    assert torch.equal(ids, torch.arange(ids.numel()))  # 0 and instances 1..N
    s = inst(labels, generator=g)
    assert s.labels.unique().numel() > 10
    binary = create("fluorescence", out_size=48)
    sb = binary(labels, generator=torch.Generator().manual_seed(0))
    assert set(sb.labels.unique().tolist()) == {0, 1}
    assert binary.label_names == ("background", "nucleus")


def test_boundary_target_marks_object_rims_and_separates_touching_nuclei():
    import torch.nn.functional as F

    gen = create("fluorescence", boundary=True, fill=1.0, object_size=10.0, rotation=0.0,
                 scaling=1.0, svf_std=0.0)
    assert gen.label_names == ("background", "nucleus", "boundary")
    assert gen.config()["boundary"] is True
    lab = gen.default_labels(batch=2, size=64, dims=2, generator=torch.Generator().manual_seed(0))
    s = gen(lab, generator=torch.Generator().manual_seed(1))
    ids, t = lab[:, 0], s.labels[:, 0]
    assert set(t.unique().tolist()) == {0, 1, 2}
    assert torch.equal(t > 0, ids > 0)  # nucleus and boundary together are the objects
    # a rim pixel has a face neighbour of another label; an interior pixel has none
    pad = F.pad(ids[:, None].float(), (1, 1, 1, 1), mode="replicate")[:, 0]
    neighbours = [pad[:, :-2, 1:-1], pad[:, 2:, 1:-1], pad[:, 1:-1, :-2], pad[:, 1:-1, 2:]]
    differs = torch.stack([n != ids for n in neighbours]).any(0)
    assert torch.equal(t == 2, differs & (ids > 0))
    # packed nuclei touch; their interiors never do
    touching = sum(int(((n != ids) & (n > 0) & (ids > 0)).sum()) for n in neighbours)
    assert touching > 0
    interior = torch.where(t == 1, ids, torch.zeros_like(ids)).float()
    pad_i = F.pad(interior[:, None], (1, 1, 1, 1))[:, 0]
    for n in (pad_i[:, :-2, 1:-1], pad_i[:, 2:, 1:-1], pad_i[:, 1:-1, :-2], pad_i[:, 1:-1, 2:]):
        assert not bool(((n != interior) & (n > 0) & (interior > 0)).any())
    # 3D as well, and the option excludes instance targets
    lab3 = gen.default_labels(batch=1, size=24, dims=3, generator=torch.Generator().manual_seed(0))
    t3 = gen(lab3, generator=torch.Generator().manual_seed(1)).labels
    assert set(t3.unique().tolist()) == {0, 1, 2} and torch.equal(t3 > 0, lab3 > 0)
    with pytest.raises(ValueError, match="exclude each other"):
        create("fluorescence", boundary=True, instances=True)


def test_max_objects_is_respected_and_validated():
    gen = create("fluorescence", instances=True, max_objects=20, object_size=6.0, fill=1.0)
    lab = gen.default_labels(batch=1, size=64, dims=2, generator=torch.Generator().manual_seed(0))
    assert int(lab.max()) <= 20
    with pytest.raises(ValueError, match="max_objects"):
        create("fluorescence", max_objects=0)


def test_widefield_contrast_is_fixed_and_random_varies():
    from synthzoo.generators.engine.intensity import GaussianMixture

    from gen_helpers import check_contrast_option

    check_contrast_option("fluorescence", "widefield", GaussianMixture, "means")


def test_domain_and_labels_match_the_fluorescence_nuclei_test_set():
    from synthzoo.datasets import get_builder

    gen, ts = create("fluorescence"), get_builder("fluorescence-nuclei")
    assert gen.domain == ts.domain and tuple(gen.label_names) == tuple(ts.label_names)


def _disk(shape, cy, cx, r):
    yy, xx = torch.meshgrid(torch.arange(shape[0]), torch.arange(shape[1]), indexing="ij")
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def test_defocus_cuts_sections_drops_objects_off_the_plane_and_keeps_their_light():
    """Three disks of radius 12: in focus (u=0: target and image unchanged), cut at u=0.8 (the
    target shrinks to a disk of radius 12 x sqrt(1 - 0.64) = 7.2), off the plane at u=1.5
    (target background; its light is still there, blurred and dimmer by 1 / (1 + u^2))."""
    from synthzoo.generators.domains.fluorescence import Defocus

    labels = torch.zeros((1, 1, 40, 120), dtype=torch.long)
    for k, cx in enumerate((20, 60, 100), start=1):
        labels[0, 0][_disk((40, 120), 20, cx, 12)] = k
    image = (labels > 0).float()
    step = Defocus(bins_per_unit=10)
    params = {"offset": torch.tensor([[0.0, 0.0, 0.8, 1.5]]), "spread": torch.tensor([2.0]),
              "fade": torch.tensor([1.0])}
    out = step.apply(State(labels, image), params=params)
    lab, img = out.labels[0, 0], out.image[0, 0]
    assert torch.equal(lab == 1, labels[0, 0] == 1) and torch.equal(img[:, :40], image[0, 0, :, :40])
    area = int((lab == 2).sum())
    assert abs(area - 3.14159 * 7.2**2) < 0.25 * 3.14159 * 7.2**2, area
    assert bool(((lab == 2) <= (labels[0, 0] == 2)).all())  # a section of the object, centred
    ys, xs = torch.nonzero(lab == 2, as_tuple=True)
    assert abs(float(ys.float().mean()) - 20) < 1 and abs(float(xs.float().mean()) - 60) < 1
    assert not bool((lab == 3).any())
    third = img[:, 80:]
    assert float(third.sum()) == pytest.approx(float(image[0, 0, :, 80:].sum()) / (1 + 1.5**2), rel=0.02)
    assert float(third.max()) < 1 / (1 + 1.5**2) and float(third[20, 20 + 14]) > 0.01  # blurred past the edge
    # the middle disk: blurred by 2 x 0.8 voxels and dimmed, its light spread past the rim too
    assert float(img[20, 60 + 13]) > 0 and float(img[20, 60]) == pytest.approx(1 / 1.64, rel=0.02)


def test_defocus_borders_between_touching_objects_and_3d():
    from synthzoo.generators.domains.fluorescence import Defocus

    labels = torch.zeros((1, 1, 9, 12), dtype=torch.long)
    labels[0, 0, 1:8, 1:6], labels[0, 0, 1:8, 6:11] = 1, 2
    depth = Defocus.inner_depth(labels)[0, 0]
    assert depth[4, 5] == 0 and depth[4, 6] == 0  # the shared border is a border of both
    assert depth[0, 0] == 0 and depth[4, 3] == 2 and depth[4, 8] == 2 and depth[4, 2] == 1
    vol = torch.ones((1, 1, 4, 6, 6), dtype=torch.long)
    s = State(vol, vol.float())
    p = Defocus().sample_params(_geom(vol.shape), generator=torch.Generator().manual_seed(0))
    assert Defocus().apply(s, params=p) is s  # 3D: the PSF handles the planes off focus
    with pytest.raises(ValueError, match="bins_per_unit"):
        Defocus(bins_per_unit=0)


def test_2d_samples_hold_unlabelled_out_of_focus_nuclei():
    """With a focus depth, some 2D planes show light (blurred nuclei) where the target is
    background; with focus_depth 0 (the default: no Defocus step) the target covers every
    nucleus's light."""
    g0 = create("fluorescence", focus_depth=0.0, photons=1e6, read_noise=0.0, background=0.0,
                illumination=0.0, sigma_xy=0.5)
    g = create("fluorescence", photons=1e6, read_noise=0.0, background=0.0, illumination=0.0, sigma_xy=0.5,
               focus_depth=(0.0, 2.0), defocus_spread=3.0, defocus_fade=1.0)  # a widefield-like haze
    from synthzoo.generators.domains.fluorescence import Defocus

    assert not any(isinstance(s, Defocus) for s in create("fluorescence").steps)
    assert any(isinstance(s, Defocus) for s in g.steps)
    labels = g.default_labels(batch=4, size=48, dims=2, generator=torch.Generator().manual_seed(1))
    out = {}
    for name, gen in (("focus", g0), ("depth", g)):
        s = gen(labels, generator=torch.Generator().manual_seed(2))
        bright_bg = (s.labels == 0) & (s.image > 0.15) & (_far_from(s.labels, 3))
        out[name] = float(bright_bg.float().mean())
    assert out["focus"] < 0.002 and out["depth"] > 0.01, out


def _far_from(labels, r):
    """Voxels more than ``r`` voxels from any foreground of ``labels (B, 1, H, W)``."""
    near = torch.nn.functional.max_pool2d((labels > 0).float(), 2 * r + 1, 1, r)
    return near == 0


def test_defocus_fade_dims_without_blurring_when_spread_is_zero():
    """spread 0 (a confocal-like PSF that does not widen off focus): an object at u=1 keeps its
    shape in the image, dimmed by (1 + 1) ** -fade; its target is background."""
    from synthzoo.generators.domains.fluorescence import Defocus

    labels = torch.zeros((2, 1, 24, 24), dtype=torch.long)
    labels[:, 0][:, _disk((24, 24), 12, 12, 6)] = 1
    image = (labels > 0).float()
    params = {"offset": torch.tensor([[0.0, 1.0], [0.0, 1.0]]), "spread": torch.tensor([0.0, 0.0]),
              "fade": torch.tensor([1.0, 3.0])}
    out = Defocus().apply(State(labels, image), params=params)
    assert torch.allclose(out.image[0], image[0] * 0.5) and torch.allclose(out.image[1], image[1] / 8)
    assert not bool(out.labels.any())
