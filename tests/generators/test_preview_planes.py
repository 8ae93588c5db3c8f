"""Preview planes: generators choose the planes their 3D montages show."""

import numpy as np
import pytest
from PIL import Image

from synthzoo.generators import get_generator
from synthzoo.generators.tools.preview import _slices, preview


def test_planes_are_mid_slices_across_the_named_axes():
    x = np.arange(4 * 5 * 6).reshape(4, 5, 6)
    xy, xz = _slices(x, ((0, "xy"), (1, "xz")))
    assert np.array_equal(xy, x[2]) and np.array_equal(xz, x[:, 2, :])
    img2d = np.arange(12).reshape(3, 4)
    assert np.array_equal(_slices(img2d, ((0, "xy"),))[0], img2d)  # shown as stored
    assert np.array_equal(_slices(img2d)[0], img2d.T)  # brain default unchanged


@pytest.mark.parametrize("name", ["ultrasound", "em", "fluorescence"])
def test_domains_declare_planes_and_preview(name, tmp_path):
    planes = get_generator(name).preview_planes
    assert len(planes) == 2 and all(0 <= a < 3 for a, _ in planes)
    out = preview(name, n=2, seed=0, dims=3, size=16, out=tmp_path / f"{name}.png")
    im = np.asarray(Image.open(out).convert("L"))
    assert im.std() > 10
    assert not list(tmp_path.glob(".*"))
