"""Electron microscopy: Voronoi cells, dark membranes, section thickness, drift."""

import pytest
import torch

from synthzoo.generators import create
from synthzoo.generators.engine.base import Geometry, State
from synthzoo.generators.domains.em import CYTOPLASM, MEMBRANE, BrightnessDrift, SectionThickness
from synthzoo.generators.physics.shapes import voronoi


@pytest.mark.parametrize("dims,size", [(2, 64), (3, 24)])
def test_membranes_darker_than_cytoplasm(dims, size):
    gen = create("em", out_size=size)
    for seed in range(4):
        g = torch.Generator().manual_seed(seed)
        labels = gen.default_labels(batch=2, size=size, dims=dims, generator=g)
        s = gen(labels, generator=g)
        for b in range(2):
            img, lab = s.image[b, 0], s.labels[b, 0]
            assert (lab == MEMBRANE).any() and (lab == CYTOPLASM).any()
            assert img[lab == MEMBRANE].mean() < img[lab == CYTOPLASM].mean() - 0.05


def test_membrane_thickness_follows_parameter():
    def fraction(half):
        gen = create("em", membrane=half, organelles=0.0, cell_size=16.0)
        lab = gen.default_labels(batch=2, size=64, dims=2, generator=torch.Generator().manual_seed(0))
        return float((lab == MEMBRANE).float().mean())

    thin, thick = fraction(0.7), fraction(2.5)
    assert 0.02 < thin < thick < 0.6
    assert thick > 2.5 * thin


def test_voronoi_cells_and_walls():
    g = torch.Generator().manual_seed(0)
    ids, wall = voronoi((48, 48), n_seeds=12, generator=g)
    assert ids.unique().numel() == 12
    # neighbouring voxels of different cells lie within one voxel of a wall
    diff = ids[1:, :] != ids[:-1, :]
    assert torch.all(wall[1:, :][diff] <= 1.0) and torch.all(wall[:-1, :][diff] <= 1.0)
    assert float(wall.max()) > 3


def test_organelles_inside_cells():
    gen = create("em", organelles=3.0)
    lab = gen.default_labels(batch=2, size=64, dims=2, generator=torch.Generator().manual_seed(1))
    assert (lab == 2).any() and (lab == 3).any()  # mitochondria and vesicles
    assert int(lab.max()) < gen.n_labels
    assert set(gen.target_lut.tolist()) == {0, 1, 2, 3, 4}


def test_section_thickness_blurs_only_along_z():
    step = SectionThickness(thickness=4.0)
    img = torch.randn((1, 1, 32, 32, 32), generator=torch.Generator().manual_seed(0))
    geom = Geometry(1, (32, 32, 32), 1, torch.device("cpu"), (1.0, 1.0, 1.0))
    out = step.apply(State(torch.zeros_like(img).long(), img), params=step.sample_params(
        geom, generator=torch.Generator().manual_seed(0))).image
    dz = (out[:, :, 1:] - out[:, :, :-1]).square().mean()
    dx = (out[..., 1:] - out[..., :-1]).square().mean()
    assert dz < 0.2 * dx
    # 2D images have no sections: identity
    img2 = torch.randn((1, 1, 16, 16), generator=torch.Generator().manual_seed(0))
    p2 = step.sample_params(Geometry(1, (16, 16), 1, torch.device("cpu"), (1.0, 1.0)),
                            generator=torch.Generator().manual_seed(0))
    assert torch.equal(step.apply(State(img2.long(), img2), params=p2).image, img2)


def test_brightness_drift_varies_along_axis0_only():
    step = BrightnessDrift(std=0.3, length=4.0)
    img = torch.ones((1, 1, 40, 30))
    p = step.sample_params(Geometry(1, (40, 30), 1, torch.device("cpu"), (1.0, 1.0)),
                           generator=torch.Generator().manual_seed(0))
    out = step.apply(State(img.long(), img), params=p).image[0, 0]
    assert float(out.mean(1).std()) > 0.05  # rows differ
    assert float(out.std(1).max()) < 1e-5  # each row is uniform


def test_samples_do_not_depend_on_the_rest_of_the_batch():
    gen = create("em", out_size=32)
    labels = gen.default_labels(batch=2, size=32, dims=2, generator=torch.Generator().manual_seed(0))
    params = gen.sample_params(labels, generator=torch.Generator().manual_seed(1))
    both = gen.apply(labels, params=params).image

    def first(p):
        if isinstance(p, dict):
            return {k: first(v) for k, v in p.items()}
        return p[:1] if isinstance(p, torch.Tensor) and p.dim() > 0 else p

    alone = gen.apply(labels[:1], params=[first(p) for p in params]).image
    assert torch.allclose(alone[0], both[0], atol=1e-5)


def test_tem_contrast_is_fixed_and_random_varies():
    from synthzoo.generators.domains.em import ClassIntensity

    from gen_helpers import check_contrast_option

    check_contrast_option("em", "tem", ClassIntensity, "means",
                          targets="cytoplasm-membrane-mitochondrion-vesicle")


def test_cells_targets_match_the_em_cells_test_set():
    from synthzoo.datasets import get_builder

    gen, ts = create("em", targets="cytoplasm-membrane-mitochondrion-vesicle"), get_builder("em-cells")
    assert gen.domain == ts.domain and tuple(gen.label_names) == tuple(ts.label_names)
    lab = gen.default_labels(batch=1, size=48, dims=2, generator=torch.Generator().manual_seed(0))
    lab[0, 0, :4] = 0  # some extracellular space
    s = gen(lab, generator=torch.Generator().manual_seed(0))
    assert set(s.labels.unique().tolist()) <= {0, 1, 2, 3}
    assert gen.target_lut.tolist() == [0, 1, 2, 3] + [0] * gen.n_cytoplasm  # extracellular, cytoplasm -> 0
    with pytest.raises(ValueError, match="unknown EM targets 'x'; valid: all, cytoplasm-membrane"):
        create("em", targets="x")
