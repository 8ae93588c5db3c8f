"""Object size: the estimator, the trained size of the nuclei models, and ``predict`` taking
the pixel size from the nuclei when a file has none (``synthzoo.zoo.scale``)."""

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from synthzoo.cli import app
from synthzoo.zoo.models import get_card
from synthzoo.zoo.scale import (READ_PER_GRID, ObjectSizeError, estimate_object_diameter,
                                matched_spacing, trained_object_diameter)

runner = CliRunner()
NUCLEI = "fluorescence-nuclei-unet-2d"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def nuclei(grid: float, size: int, seed: int, contrast: str = "random"):
    """A 2D ``fluorescence`` generator image with nuclei on a grid of ``grid`` pixels, and its
    instance ids."""
    from synthzoo.generators import create

    gen = create("fluorescence", spacing=0.5, instances=True, object_size=float(grid), contrast=contrast)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        s = gen(gen.default_labels(batch=1, size=size, dims=2, generator=g), generator=g)
    return s.image[0, 0].numpy(), s.labels[0, 0].numpy()


def test_the_reading_per_grid_pixel_is_what_the_generator_images_give():
    """READ_PER_GRID is a measurement: the estimator's reading on generator images at the
    trained nuclei sizes (grids 8-16 pixels, both contrasts), per grid pixel."""
    ratios = [estimate_object_diameter(nuclei(grid, 160, seed, contrast)[0]) / grid
              for grid in (8.0, 11.0, 16.0) for contrast in ("random", "widefield") for seed in range(3)]
    assert abs(np.median(ratios) / READ_PER_GRID - 1) < 0.15, ratios


def test_the_reading_follows_the_scale_of_the_image():
    """The same nuclei, three times as many pixels across, read about three times as large."""
    from scipy.ndimage import zoom

    img, _ = nuclei(12.0, 128, 7)
    small, big = estimate_object_diameter(img), estimate_object_diameter(zoom(img, 3, order=1))
    assert 2.4 < big / small < 3.6, (small, big)


def test_an_image_without_objects_is_one_clear_error():
    with pytest.raises(ObjectSizeError, match=r"blank\.png: cannot measure the size of its objects"):
        estimate_object_diameter(np.zeros((64, 64), np.float32), where="blank.png")
    with pytest.raises(ValueError, match="expected a 2D or 3D image"):
        estimate_object_diameter(np.zeros((2, 2, 2, 2)))


def test_trained_size_comes_from_the_cards_generator():
    """Bundled nuclei models drew grids U(6, 16) pixels (median 11) at 0.5 um; models of other
    tasks have no trained object size and refuse a matched spacing."""
    for name in (NUCLEI, "fluorescence-nuclei-unet-2d-widefield", "fluorescence-nuclei-stack-unet-2d"):
        assert trained_object_diameter(get_card(name)) == pytest.approx(READ_PER_GRID * 11.0, rel=0.01)
    card = get_card(NUCLEI)
    assert matched_spacing(card, READ_PER_GRID * 11.0 * 2) == pytest.approx(card.spacing / 2, rel=0.01)
    brain = get_card("neuro-mri-tissue-unet-2d")
    assert trained_object_diameter(brain) is None
    with pytest.raises(ObjectSizeError, match="not trained on objects of a size"):
        matched_spacing(brain, 10.0)


def _object_f1(path, ids):
    from synthzoo.metrics import object_f1

    pred = np.asarray(Image.open(path)).astype(np.int64)
    return object_f1(pred > 0, ids > 0, truth_instances=ids, pred_instances=pred)


def test_predict_measures_nuclei_of_a_file_without_pixel_size(tmp_path):
    """Large nuclei (grid 40 pixels, four times the trained size) in a PNG: by default predict
    measures them, says so on stderr and separates them far better than at the model's pixel
    size; --object-size N is the same as the spacing it implies."""
    img, ids = nuclei(40.0, 256, 3)
    x = (255 * (img - img.min()) / (img.max() - img.min())).astype(np.uint8)
    Image.fromarray(np.stack([x] * 3, -1)).save(tmp_path / "in.png")
    r = invoke("predict", NUCLEI, tmp_path / "in.png", tmp_path / "auto.png", "--instances", "--no-progress", "--offline")
    assert r.exit_code == 0, r.output
    assert r.stdout.split() == [str(tmp_path / "auto.png")]
    err = r.stderr.replace("\n", " ")
    assert f"{tmp_path / 'in.png'}: objects measured at" in err and "the file gives no pixel size" in err
    card = get_card(NUCLEI)
    r = invoke("predict", NUCLEI, tmp_path / "in.png", tmp_path / "fixed.png", "--instances", "--no-progress",
               "--offline", "--spacing", card.spacing)
    assert r.exit_code == 0, r.output
    assert "measured" not in r.stderr
    auto, fixed = _object_f1(tmp_path / "auto.png", ids), _object_f1(tmp_path / "fixed.png", ids)
    assert auto > 0.5 and auto > fixed + 0.25, (auto, fixed)
    r = invoke("predict", NUCLEI, tmp_path / "in.png", tmp_path / "given.png", "--no-progress", "--offline",
               "--object-size", "30")
    assert r.exit_code == 0 and "measured" not in r.stderr, r.output
    r = invoke("predict", NUCLEI, tmp_path / "in.png", tmp_path / "same.png", "--no-progress", "--offline",
               "--spacing", matched_spacing(card, 30.0))
    assert r.exit_code == 0, r.output
    assert np.array_equal(np.asarray(Image.open(tmp_path / "given.png")), np.asarray(Image.open(tmp_path / "same.png")))


@pytest.mark.parametrize("args, message", [
    (("--object-size", "auto", "--spacing", "1"), "--spacing and --object-size both set the pixel size; give one"),
    (("--object-size", "-3"), "--object-size '-3': give 'auto' or the objects' diameter in pixels (> 0)"),
    (("--object-size", "wide"), "--object-size 'wide': give 'auto'"),
])
def test_bad_object_size_is_one_error_line_and_no_output(tmp_path, args, message):
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(tmp_path / "in.png")
    r = invoke("predict", NUCLEI, tmp_path / "in.png", tmp_path / "out.png", "--offline", *args)
    assert r.exit_code != 0 and message in r.output.replace("\n", " ")
    assert not (tmp_path / "out.png").exists()


def test_object_size_needs_a_nuclei_model_and_auto_needs_objects(tmp_path):
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(tmp_path / "in.png")
    r = invoke("predict", "neuro-mri-tissue-unet-2d", tmp_path / "in.png", tmp_path / "out.png", "--offline",
               "--object-size", "auto")
    assert r.exit_code != 0 and "applies to nuclei models" in r.output
    r = invoke("predict", NUCLEI, tmp_path / "in.png", tmp_path / "out.png", "--offline", "--object-size", "auto")
    assert r.exit_code != 0 and "cannot measure the size of its objects" in r.output
    assert not (tmp_path / "out.png").exists()
    # unasked (no pixel size in the file), a failed measurement falls back to the model's spacing
    r = invoke("predict", NUCLEI, tmp_path / "in.png", tmp_path / "out.png", "--offline", "--no-progress")
    assert r.exit_code == 0, r.output
    assert "taken as the model's" in r.stderr and "cannot measure" in r.stderr.replace("\n", " ")
