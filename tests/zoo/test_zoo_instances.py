import dataclasses

import numpy as np
import pytest

from synthzoo.metrics import object_f1
from synthzoo.zoo.instances import (InstanceError, instances_from_boundary, instances_from_probabilities,
                                    object_classes)

NAMES = ("background", "nucleus", "boundary")


def _touching_pair():
    """Two touching 8x8 squares (ids 1, 2) and one 2x2 speck (id 3) in a 16x24 image."""
    ids = np.zeros((16, 24), np.int32)
    ids[2:10, 2:10], ids[2:10, 10:18], ids[13:15, 20:22] = 1, 2, 3
    return ids


def _rim(ids):
    pad = np.pad(ids, 1, mode="edge")
    nb = [pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:]]
    return (ids > 0) & np.any([n != ids for n in nb], axis=0)


def _probabilities(ids):
    cls = np.where(_rim(ids), 2, np.where(ids > 0, 1, 0))
    prob = np.full((3, *ids.shape), 0.1, np.float32)
    np.put_along_axis(prob, cls[None], 0.8, axis=0)
    return prob


def test_boundary_separates_touching_objects_and_keeps_small_ones():
    ids = _touching_pair()
    inst = instances_from_probabilities(_probabilities(ids), NAMES)
    assert inst.dtype == np.int32 and inst.shape == ids.shape
    assert np.array_equal(inst > 0, ids > 0)  # every object pixel, rims included, is assigned
    # one instance per object, exactly the object (ids up to renumbering)
    pairs = {(int(a), int(b)) for a, b in zip(ids[ids > 0], inst[ids > 0])}
    assert len(pairs) == 3 and len({a for a, _ in pairs}) == 3 and len({b for _, b in pairs}) == 3
    # the speck is all rim (no interior): an instance of its own
    assert len(np.unique(inst[13:15, 20:22])) == 1 and inst[13, 20] > 0
    # without a boundary class the touching squares are one connected component
    fg = instances_from_probabilities(np.stack([1 - (ids > 0), ids > 0]).astype(np.float32),
                                      ("background", "nucleus"))
    assert len(np.unique(fg[ids > 0])) == 2  # the merged pair and the speck
    # object F1 against the true instances: 1 with the boundary, 0.4 for the merged pair
    assert object_f1(inst > 0, ids > 0, pred_instances=inst, truth_instances=ids) == 1.0
    assert object_f1(fg > 0, ids > 0, truth_instances=ids) == pytest.approx(2 * 1 / (3 + 2))


def test_instances_from_masks_and_errors():
    ids = _touching_pair()
    rim = _rim(ids)
    inst = instances_from_boundary((ids > 0) & ~rim, rim)  # elevation: distance to the rim
    assert len(np.unique(inst)) == 4
    with pytest.raises(InstanceError, match="differ in shape"):
        instances_from_boundary(ids > 0, rim[:, :5])
    with pytest.raises(InstanceError, match="one object label"):
        object_classes(("background", "csf", "gray_matter"))
    with pytest.raises(InstanceError, match="3 classes, the labels 2"):
        instances_from_probabilities(_probabilities(ids), ("background", "nucleus"))
    assert object_classes(NAMES) == (1, 2) and object_classes(("bg", "cell")) == (1, None)


def test_predict_instances_writes_object_ids(tiny, tmp_path, monkeypatch):
    import tifffile

    from synthzoo.zoo import models
    from synthzoo.zoo.predict import predict_file

    img = np.zeros((32, 40), np.uint8)
    img[4:20, 4:20] = img[22:30, 26:36] = 200
    tifffile.imwrite(tmp_path / "in.tif", img)
    with pytest.raises(InstanceError, match="--instances with tiny-test-2d: .*one object label"):
        predict_file("tiny-test-2d", tmp_path / "in.tif", tmp_path / "out.tif", instances=True)
    assert not (tmp_path / "out.tif").exists()
    entry = models.MODELS._registered["tiny-test-2d"]
    card = dataclasses.replace(entry.card, label_names=NAMES)
    monkeypatch.setitem(models.MODELS._registered, "tiny-test-2d", dataclasses.replace(entry, card=card))
    (out, prob) = predict_file("tiny-test-2d", tmp_path / "in.tif", tmp_path / "out.tif",
                               probabilities=tmp_path / "prob.tif", instances=True)
    got = tifffile.imread(out)
    want = instances_from_probabilities(tifffile.imread(prob), NAMES)
    assert got.shape == img.shape and np.array_equal(got, want)
    assert got.max() > 1  # the (random) tiny network finds several objects


def test_object_ids_keep_their_values_in_every_format(tmp_path):
    """Up to 255 ids as uint8, then uint16, then uint32 (NIfTI, TIFF, Zarr); a PNG holds at most
    65535 and says so instead of wrapping ids around."""
    import tifffile

    from synthzoo.zoo.imageio import ImageFileError, _label_dtype, read_image, write_like

    assert [_label_dtype(np.array([v])) for v in (255, 256, 65535, 65536)] == [
        np.uint8, np.uint16, np.uint16, np.uint32]
    tifffile.imwrite(tmp_path / "in.tif", np.zeros((4, 5), np.uint8))
    ref = read_image(tmp_path / "in.tif")
    ids = np.arange(20, dtype=np.int64).reshape(4, 5) * 5000  # up to 95000
    out = write_like(tmp_path / "ids.tif", ids, ref)
    assert np.array_equal(tifffile.imread(out), ids)
    with pytest.raises(ImageFileError, match=r"ids\.png: label value 95000 does not fit the format's uint16"):
        write_like(tmp_path / "ids.png", ids, ref)
    assert not (tmp_path / "ids.png").exists()
