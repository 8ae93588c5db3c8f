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


# -- one plugin registering one part of every kind inherits every contract test -------------

EVERY_PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "synthzoo-plug-every-part"
version = "0.0.1"

[project.entry-points."synthzoo.generators"]
plug-gen = "synthzoo_plug:PlugGen"
[project.entry-points."synthzoo.datasets"]
plug-set = "synthzoo_plug:PlugSet"
[project.entry-points."synthzoo.models"]
plug-net = "synthzoo_plug:NET"
[project.entry-points."synthzoo.anatomy"]
plug-anatomy = "synthzoo_plug:PlugAnatomy"
[project.entry-points."synthzoo.baselines"]
plug-otsu = "synthzoo_plug:OTSU"

[tool.setuptools.package-data]
synthzoo_plug = ["*.json", "*.safetensors"]
"""

EVERY_MODULE = '''
"""One part of every kind, registered only by entry points, using synthzoo's public API."""
from pathlib import Path

import numpy as np
import torch

from synthzoo.anatomy import AnatomySource
from synthzoo.benchmarks.baselines import Baseline, multi_otsu_thresholds
from synthzoo.datasets import TestSetBuilder
from synthzoo.datasets.base import rng
from synthzoo.generators import Generator
from synthzoo.generators.engine.base import as_size
from synthzoo.generators.engine.intensity import GaussianMixture, Noise, Normalize
from synthzoo.zoo.models import ModelEntry


class PlugGen(Generator):
    name, domain, dims, description = "plug-gen", "toy", (2,), "Half planes with random contrast"

    def __init__(self, *, out_size=None, spacing=1.0):
        super().__init__([GaussianMixture(means=(0.0, 1.0), stds=(0.0, 0.05)), Noise(std=(0.0, 0.1)),
                          Normalize()], n_labels=2, label_names=["bg", "fg"], spacing=spacing)

    def default_labels(self, *, batch=1, size=32, dims=2, generator):
        size = as_size(size, dims)
        cut = torch.randint(size[0] // 4, 3 * size[0] // 4, (batch, 1, 1, 1), generator=generator)
        rows = torch.arange(size[0]).view(1, 1, -1, 1)
        return (rows >= cut).long().expand(batch, 1, *size).clone()


class PlugSet(TestSetBuilder):
    name, domain, dims = "plug-set", "toy", 2
    description, method = "Disks on a background", "a disk, two intensity levels, Gaussian noise"
    label_names, contrasts = ("bg", "fg"), ("bright", "dark")
    contrast_table = {"bright": {"level": 1.0}, "dark": {"level": -1.0}}
    anatomy_source = "synthetic disks"
    default_size, quick_size, tiny_size, min_size = 32, 16, 16, 16

    def write_case(self, spec, writer, *, size, workers=1):
        r = rng(spec.seed)
        yy, xx = np.mgrid[0:size, 0:size]
        lab = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (size * r.uniform(0.2, 0.4)) ** 2).astype(np.uint8)
        img = (lab * spec.params["level"] + 0.05 * r.standard_normal(lab.shape)).astype(np.float32)
        writer.put("image", img)
        writer.put("labels", lab)
        return {"spacing": [1.0, 1.0], "axes": "yx", "simulator": "synthzoo_plug", "parameters": dict(spec.params)}


class PlugAnatomy(AnatomySource):
    name, description, license, spacing = "plug-anatomy", "two toy subjects", "CC0-1.0", 1.0
    label_values, label_names = (0, 1), ("bg", "fg")
    subjects, heldout = ("s1", "s2"), ("s2",)
    targets = {"fg": (("bg", "fg"), (0, 1))}

    def _load(self, subject, *, offline=False):
        return np.zeros((4, 4, 4), np.uint8)


NET = ModelEntry.from_card(Path(__file__).parent / "plug-net.json")
OTSU = Baseline("plug-otsu", "Otsu thresholds (a plugin's baseline)", multi_otsu_thresholds)
'''


def _plug_package(folder: Path) -> Path:
    """The source of a plugin with one part of each kind; its tiny model's weights and card
    are made here (safetensors + sha256)."""
    import torch
    from safetensors.torch import save_file

    from synthzoo.zoo.card import WeightCard
    from synthzoo.zoo.unet import UNet
    from synthzoo.zoo.weights import sha256_file

    pkg = folder / "synthzoo_plug"
    pkg.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(EVERY_PYPROJECT)
    (pkg / "__init__.py").write_text(EVERY_MODULE)
    kw = dict(dims=2, in_channels=1, out_channels=2, levels=2, features=4, norm="instance")
    torch.manual_seed(0)
    save_file(UNet(**kw).state_dict(), str(pkg / "plug-net.safetensors"))
    WeightCard(name="plug-net", architecture="unet", arch_kwargs=kw, task="segmentation", domain="toy",
               dims=2, in_channels=1, label_names=("bg", "fg"), spacing=1.0, patch_size=(16, 16),
               weights_file="plug-net.safetensors", sha256=sha256_file(pkg / "plug-net.safetensors"),
               license="CC0-1.0", training={"steps": 1}, command="made by tests/test_plugins.py",
               description="an untrained toy network").save(pkg / "plug-net.json")
    return folder


CONTRACT_FILES = ("generators/test_contract.py", "generators/test_replay.py", "datasets/test_datasets_contract.py",
                  "zoo/test_zoo_contract.py", "anatomy/test_anatomy_registry.py",
                  "benchmarks/test_bench_baselines_contract.py")


def _passed_ids(stdout: str) -> set[str]:
    return {line.split(" ")[0] for line in stdout.splitlines() if line.endswith(" PASSED") or " PASSED " in line}


def test_a_plugin_with_one_part_of_each_kind_inherits_every_contract_test(tmp_path, pip_install_target):
    site = pip_install_target(tmp_path / "site", _plug_package(tmp_path / "src"))
    r = run(site, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-p", "no:randomly", "-k", "plug",
            *[str(ROOT / "tests" / f) for f in CONTRACT_FILES])
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-3000:]
    passed = {p.split("::", 1)[1] for p in _passed_ids(r.stdout)}
    expected = {
        "test_default_labels_valid[plug-gen-2]", "test_output_shapes_dtypes_finite[plug-gen-2]",
        "test_seed_determinism_and_replay[plug-gen-2]", "test_bad_labels_rejected[plug-gen-2]",
        "test_sample_replayed_from_its_params_json[plug-gen-2]",
        "test_builder_declares_what_the_card_needs[plug-set]",
        "test_opens_lazily_with_the_cards_cases_and_labels[plug-set]",
        "test_verifies_and_a_damaged_chunk_is_named[plug-set]",
        "test_entry_is_a_named_model_entry[plug-net]", "test_card_fields[plug-net]",
        "test_weights_match_the_card_and_run_on_its_patch[plug-net]",
        "test_a_test_set_of_its_domain_has_its_labels[plug-net]",
        "test_labels_targets_and_info_are_declared[plug-anatomy]",
        "test_split_is_enforced_before_loading[plug-anatomy]",
        "test_baseline_recovers_separated_classes[plug-otsu]",
    }
    assert expected <= passed, sorted(expected - passed)
    assert len(passed) == len(expected), sorted(passed - expected)


# -- the worked example of a whole domain: examples/synthzoo-oct ----------------------------

OCT = ROOT / "examples" / "synthzoo-oct"


@pytest.fixture(scope="module")
def oct_site(tmp_path_factory, pip_install_target) -> Path:
    tmp = tmp_path_factory.mktemp("oct")
    src = tmp / "synthzoo-oct"
    shutil.copytree(OCT, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "runs"))
    yield pip_install_target(tmp / "site", src)
    shutil.rmtree(tmp, ignore_errors=True)


def test_oct_package_adds_the_domain_to_every_listing(oct_site):
    for cmd, names in ((["generate", "list", "--json"], {"oct-retina"}),
                       (["datasets", "list", "--json"], {"oct-retina-devices"}),
                       (["zoo", "list", "--json"], {"oct-retina-layers-unet-2d", "oct-retina-layers-unet-2d-fixed"})):
        r = run(oct_site, "-m", "synthzoo", *cmd)
        assert r.returncode == 0, r.stderr
        rows = {row["name"]: row for row in json.loads(r.stdout)}
        assert names <= set(rows), (cmd, sorted(rows))
        assert all(rows[n]["domain"] == "oct" for n in names if "domain" in rows[n])


def test_oct_package_passes_its_own_tests_and_every_contract_test(oct_site):
    r = run(oct_site, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-p", "no:randomly", str(OCT / "tests"))
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-3000:]
    r = run(oct_site, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-p", "no:randomly", "-k", "oct-retina",
            *[str(ROOT / "tests" / f) for f in CONTRACT_FILES])
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-3000:]
    passed = {p.split("::", 1)[1] for p in _passed_ids(r.stdout)}
    for must in ("test_seed_determinism_and_replay[oct-retina-3]", "test_sample_replayed_from_its_params_json[oct-retina-2]",
                 "test_verifies_and_a_damaged_chunk_is_named[oct-retina-devices]",
                 "test_weights_match_the_card_and_run_on_its_patch[oct-retina-layers-unet-2d]",
                 "test_a_test_set_of_its_domain_has_its_labels[oct-retina-layers-unet-2d-fixed]"):
        assert must in passed, (must, sorted(passed))
