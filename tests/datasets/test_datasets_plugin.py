"""An out-of-tree test set works by ``pip install`` alone (entry-point group ``synthzoo.datasets``).

A tiny plugin package is written here, pip-installed with ``--target`` into a temporary folder
(no network, no build isolation) and used from a fresh interpreter whose ``sys.path`` holds
that folder; nothing is installed into the environment itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "synthzoo-toy-testset"
version = "0.0.1"

[project.entry-points."synthzoo.datasets"]
toy-disks = "synthzoo_toy_testset:ToyDisks"
"""

MODULE = '''\
import numpy as np

from synthzoo.datasets.base import TestSetBuilder, rng


class ToyDisks(TestSetBuilder):
    """A disk on a noisy background."""

    name = "toy-disks"
    domain = "toy"
    dims = 2
    description = "A disk on a noisy background"
    label_names = ("background", "disk")
    contrasts = ("bright", "dark")
    contrast_table = {"bright": {"level": 1.0}, "dark": {"level": -1.0}}
    anatomy_source = "toy"
    default_size = 32
    min_size = 8

    def write_case(self, spec, writer, *, size, workers=1):
        r = rng(spec.seed)
        yy, xx = np.mgrid[0:size, 0:size]
        lab = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (size / 4) ** 2).astype(np.uint8)
        writer.put("image", lab * spec.params["level"] + r.normal(0, 0.1, lab.shape))
        writer.put("labels", lab)
        return {"spacing": [1.0, 1.0], "axes": "yx", "simulator": "toy", "parameters": dict(spec.params)}
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory, pip_install_target) -> Path:
    tmp = tmp_path_factory.mktemp("dsplugin")
    pkg = tmp / "pkg"
    (pkg / "synthzoo_toy_testset").mkdir(parents=True)
    (pkg / "pyproject.toml").write_text(PYPROJECT)
    (pkg / "synthzoo_toy_testset" / "__init__.py").write_text(MODULE)
    return pip_install_target(tmp / "site", pkg)


def test_plugin_testset_builds_and_opens(site, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT / "src")]), "OMP_NUM_THREADS": "1"}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "synthzoo", "datasets", *args, "--root", str(tmp_path)],
                              capture_output=True, text=True, env=env, timeout=300)

    r = cli("build", "toy-disks")
    assert r.returncode == 0, r.stderr
    r = cli("info", "toy-disks", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["contrasts"] == ["bright", "dark"] and [c["shape"] for c in info["cases"]] == [[32, 32]] * 2
    r = cli("list", "--json")
    row = {x["name"]: x for x in json.loads(r.stdout)}["toy-disks"]
    assert row["source"] == "synthzoo-toy-testset" and row["built"]
    assert cli("verify", "toy-disks").returncode == 0
