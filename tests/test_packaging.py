"""Packaging: the metadata's Python floor, and a core that works without the optional
training dependency (Lightning, the extra ``train``)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BLOCK_LIGHTNING = """
import sys
sys.modules["lightning"] = None  # as if it were not installed: importing it raises ModuleNotFoundError
"""

CORE_WITHOUT_LIGHTNING = BLOCK_LIGHTNING + """
import json, torch
from typer.testing import CliRunner
from synthzoo.cli import app
from synthzoo.generators import create
from synthzoo.zoo.models import create_model
r = CliRunner()
listing = r.invoke(app, ["generate", "list", "--json"])
assert listing.exit_code == 0, listing.output
gen = create("fluorescence")
lab = gen.default_labels(batch=1, size=16, dims=2, generator=torch.Generator().manual_seed(0))
gen(lab, generator=torch.Generator().manual_seed(1))
net = create_model("neuro-mri-tissue-unet-2d", pretrained=True, offline=True)
train = r.invoke(app, ["train", "--out", sys.argv[1], "--steps", "1"])
print(json.dumps({"code": train.exit_code, "output": train.output, "lightning": "lightning" in sys.modules and sys.modules["lightning"] is not None}))
"""


def test_python_floor_matches_the_dependencies_that_need_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"  # zarr>=3, numcodecs and tifffile need 3.11
    assert sys.version_info >= (3, 11)
    deps = project["dependencies"]
    assert any(d.startswith("zarr>=3") for d in deps)
    assert not any(d.startswith("lightning") for d in deps)
    assert project["optional-dependencies"]["train"] == ["lightning>=2.1"]
    boot = (ROOT / "scripts" / "bootstrap.sh").read_text()
    assert '".[test,bench,train]"' in boot  # CI installs what every test needs


def test_core_runs_without_lightning_and_train_says_what_to_install(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-c", CORE_WITHOUT_LIGHTNING, str(tmp_path / "run")], capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    import json

    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["code"] == 2 and not res["lightning"]
    assert "synthzoo train needs Lightning, which is not installed: pip install 'synthzoo[train]'" in res["output"]
    assert not (tmp_path / "run").exists()


INSTALLED = """
import json, sys
import synthzoo
from synthzoo._registry import source_pyproject
from synthzoo.anatomy import ANATOMY
from synthzoo.benchmarks.baselines import BASELINES
from synthzoo.datasets import DATASETS
from synthzoo.generators import GENERATORS
from synthzoo.zoo.models import create_model
from synthzoo.zoo.registry import MODELS
create_model("micro-ct-pores-unet-2d", pretrained=True, offline=True)  # bundled weights found and verified
print(json.dumps({"file": synthzoo.__file__, "pyproject": str(source_pyproject()),
                  "names": {r.group: sorted(e.name for e in r.entries() if e.source == "builtin")
                            for r in (GENERATORS, DATASETS, MODELS, ANATOMY, BASELINES)},
                  "sources": sorted({e.source for e in GENERATORS.entries()})}))
"""


def test_an_installed_package_registers_its_parts_from_its_metadata(tmp_path, pip_install_target):
    """Outside a checkout (a normal, non-editable install) the parts come from the installed
    entry-point metadata, and they are the ones pyproject.toml declares."""
    import json
    import shutil

    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__",
                                                               "out", "runs", "examples", "tests", "docs", "leaderboard"))
    site = pip_install_target(tmp_path / "site", src)
    shutil.rmtree(src)
    env = {**os.environ, "PYTHONPATH": str(site), "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-c", INSTALLED], capture_output=True, text=True, env=env,
                       cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["file"].startswith(str(site)) and res["pyproject"] == "None"
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert {g: sorted(eps) for g, eps in declared.items()} == res["names"]
    assert "builtin" in res["sources"]
