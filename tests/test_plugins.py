"""The contributor path: an out-of-tree generator package works by ``pip install`` alone.

The worked example ``examples/synthzoo-example-generator`` and a deliberately broken plugin
are pip-installed (``--target`` a temporary folder, no network, no build isolation) and used
from fresh interpreters whose ``sys.path`` includes that folder, so the installed entry points
are what the registry sees.  Nothing is installed into the environment itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "synthzoo-example-generator"

BROKEN_PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "synthzoo-broken-plugin"
version = "0.0.1"

[project.entry-points."synthzoo.generators"]
broken-gen = "synthzoo_broken_plugin:Gen"
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, pip_install_target) -> Path:
    """A folder holding the installed example plugin and a plugin that raises on import."""
    tmp = tmp_path_factory.mktemp("plugins")
    example = tmp / "example"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    broken = tmp / "broken"
    (broken / "synthzoo_broken_plugin").mkdir(parents=True)
    (broken / "pyproject.toml").write_text(BROKEN_PYPROJECT)
    (broken / "synthzoo_broken_plugin" / "__init__.py").write_text(
        'raise ImportError("this plugin is broken on purpose")\n')
    target = pip_install_target(tmp / "site", example, broken)
    yield target
    shutil.rmtree(tmp, ignore_errors=True)


def run(site: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT / "src")]),
           "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "default"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def test_list_shows_plugin_and_warns_about_broken_one(site):
    r = run(site, "-m", "synthzoo", "generate", "list", "--json")
    assert r.returncode == 0, r.stderr
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    plugin = rows["example-disks"]
    assert plugin["plugin"] is True and plugin["source"] == "synthzoo-example-generator"
    assert plugin["entry_point"] == "synthzoo_example_generator:ExampleDisks"
    assert plugin["domain"] == "toy" and plugin["dims"] == [2, 3]
    assert plugin["description"].startswith("Random disks")
    assert rows["neuro-mri"]["plugin"] is False and rows["neuro-mri"]["source"] == "builtin"
    assert "broken-gen" not in rows
    assert "broken-gen" in r.stderr and "failed to load" in r.stderr
    assert "broken on purpose" in r.stderr


IN_PROCESS = """
import json, sys
from typer.testing import CliRunner
from synthzoo.cli import app
runner = CliRunner()
res = {}
for key, args in [
    ("table", ["generate", "list"]),
    ("sample", ["generate", "sample", "example-disks", "--dims", "2", "--size", "32", "--n", "1",
                "--seed", "4", "--out", sys.argv[1] + "/samples"]),
    ("broken", ["generate", "preview", "broken-gen", "--n", "1", "--out", sys.argv[1] + "/x.png"]),
]:
    r = runner.invoke(app, args)
    res[key] = [r.exit_code, r.output, repr(r.exception) if r.exit_code not in (0, 2) else ""]
print(json.dumps(res))
"""


def test_plugin_generates_and_broken_one_is_a_clear_error(site, tmp_path):
    r = run(site, "-c", IN_PROCESS, str(tmp_path))
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout.strip().splitlines()[-1])
    code, table, _ = res["table"]
    assert code == 0 and "example-disks" in table and "plugin:" in table
    code, output, exc = res["sample"]
    assert code == 0, output + exc
    import numpy as np
    import tifffile

    out = tmp_path / "samples"
    img = tifffile.imread(out / "example-disks_00004_image.tif")
    lab = tifffile.imread(out / "example-disks_00004_labels.tif")
    assert img.shape == (1, 32, 32) and np.isfinite(img).all() and img.std() > 0
    assert set(np.unique(lab)) <= {0, 1, 2, 3} and len(np.unique(lab)) > 1
    code, output, exc = res["broken"]
    assert code == 2, output + exc
    assert "generator plugin 'broken-gen'" in output and "failed to load" in output
    assert "broken on purpose" in output
    assert not (tmp_path / "x.png").exists()


def test_shared_contract_tests_run_on_the_plugin(site):
    r = run(site, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "example-disks",
            str(ROOT / "tests" / "generators" / "test_contract.py"))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "8 passed" in r.stdout  # 4 contract tests x 2 dims (GPU ones skipped)
