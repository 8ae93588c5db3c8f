import json

import nibabel as nib
import numpy as np
import tifffile
from PIL import Image
from typer.testing import CliRunner

from synthzoo import __version__
from synthzoo.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_version():
    r = invoke("--version")
    assert r.exit_code == 0 and r.output.strip() == f"synthzoo {__version__}"


def test_generate_list_json():
    r = invoke("generate", "list", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    row = next(x for x in rows if x["name"] == "neuro-mri")
    assert row["domain"] == "neuro-mri" and row["dims"] == [2, 3] and row["source"] == "builtin"
    assert row["description"]


def test_generate_preview_writes_png(tmp_path):
    out = tmp_path / "p.png"
    r = invoke("generate", "preview", "neuro-mri", "--n", 2, "--dims", 3, "--size", 24, "--out", out)
    assert r.exit_code == 0, r.output
    im = Image.open(out)
    assert im.size[0] > 200 and im.size[1] > 200
    assert np.asarray(im.convert("L")).std() > 10  # not a blank image
    assert not list(tmp_path.glob(".*"))  # no temp file left behind


def test_generate_sample_without_labels_writes_tiff_and_params(tmp_path):
    out = tmp_path / "samples"
    r = invoke("generate", "sample", "neuro-mri", "--n", 2, "--seed", 3, "--dims", 2, "--size", 32, "--out", out)
    tmp_path = out
    assert r.exit_code == 0, r.output
    imgs = sorted(tmp_path.glob("*_image.tif"))
    assert [p.name for p in imgs] == ["neuro-mri_00003_image.tif", "neuro-mri_00004_image.tif"]
    img = tifffile.imread(imgs[0])
    lab = tifffile.imread(tmp_path / "neuro-mri_00003_labels.tif")
    assert img.shape == (1, 32, 32) and lab.shape == (32, 32)
    assert set(np.unique(lab)) <= {0, 1, 2, 3}
    meta = json.loads((tmp_path / "neuro-mri_00003_params.json").read_text())
    assert meta["seed"] == 3 and meta["generator"] == "neuro-mri"
    assert len(meta["params"]) == len(meta["config"]["steps"])
    assert "means" in meta["params"][1]


def test_generate_sample_from_nifti_labels_keeps_affine(tmp_path):
    lab = np.zeros((20, 22, 18), dtype=np.int16)
    lab[4:16, 4:18, 4:14] = 3
    lab[6:14, 6:16, 6:12] = 2
    lab[8:12, 9:13, 8:10] = 1
    aff = np.diag([2.0, 2.0, 2.0, 1.0])
    aff[:3, 3] = [-10, 5, 3]
    src = tmp_path / "labels.nii.gz"
    nib.save(nib.Nifti1Image(lab, aff), src)
    out = tmp_path / "out"
    r = invoke("generate", "sample", "neuro-mri", "--labels", src, "--n", 1, "--out", out)
    assert r.exit_code == 0, r.output
    im = nib.load(out / "neuro-mri_00000_image.nii.gz")
    lb = nib.load(out / "neuro-mri_00000_labels.nii.gz")
    assert im.shape == lab.shape and np.allclose(im.affine, aff)
    assert set(np.unique(np.asarray(lb.dataobj))) <= {0, 1, 2, 3}


def test_bad_label_files_are_clear_errors(tmp_path):
    bad = tmp_path / "float.tif"
    tifffile.imwrite(bad, np.random.default_rng(0).random((16, 16)).astype(np.float32))
    r = invoke("generate", "sample", "neuro-mri", "--labels", bad, "--out", tmp_path / "o")
    assert r.exit_code == 2 and "float.tif" in r.output and "integer" in r.output
    big = tmp_path / "big.tif"
    tifffile.imwrite(big, np.full((16, 16), 99, dtype=np.uint8))
    r = invoke("generate", "sample", "neuro-mri", "--labels", big, "--out", tmp_path / "o")
    assert r.exit_code == 2 and "big.tif" in r.output and "out of range" in r.output
    r = invoke("generate", "sample", "neuro-mri", "--labels", tmp_path / "nope.nii.gz", "--out", tmp_path / "o")
    assert r.exit_code == 2 and "nope.nii.gz: no such file" in r.output
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_unknown_domain_lists_available():
    r = invoke("generate", "preview", "neuro-mrii", "--n", 1)
    assert r.exit_code == 2 and "unknown generator 'neuro-mrii'; available:" in r.output


def test_cli_sets_omp_wait_policy_before_torch_is_imported():
    """`synthzoo bench speed/run` need no hand-set threading variables (docs/speed.md)."""
    import os
    import subprocess
    import sys

    code = ("import builtins, os\n"
            "seen, orig = {}, builtins.__import__\n"
            "def imp(name, *a, **k):\n"
            "    if name == 'torch' and 'torch' not in seen: seen['torch'] = os.environ.get('OMP_WAIT_POLICY')\n"
            "    return orig(name, *a, **k)\n"
            "builtins.__import__ = imp\n"
            "import synthzoo.cli\n"
            "from synthzoo.benchmarks.cli import command_line\n"
            "from synthzoo.benchmarks.speed import SpeedConfig\n"
            "print(seen['torch'], os.environ['OMP_WAIT_POLICY'], command_line(SpeedConfig.quick(), 'o').split()[0])\n")
    # no user-set threading variables: the recorded command starts with the command itself
    from synthzoo.benchmarks.speed import THREAD_ENV

    env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["PASSIVE", "PASSIVE", "synthzoo"], out.stderr
    env["OMP_WAIT_POLICY"] = "ACTIVE"  # a value set by the user is kept and recorded
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.split()[:2] == ["ACTIVE", "ACTIVE"] and "OMP_WAIT_POLICY=ACTIVE" in out.stdout, out.stderr
