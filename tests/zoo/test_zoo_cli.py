import json

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from synthzoo.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_zoo_list_json(tiny):
    r = invoke("zoo", "list", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    from synthzoo.generators import GENERATORS

    domains = {cls.domain for cls in GENERATORS.load_all().values()}
    for row in rows:
        assert {"name", "domain", "task", "dims", "baseline", "sha256"} <= set(row)
        assert row["domain"] in domains
        assert len(row["sha256"]) == 64
    row = next(x for x in rows if x["name"] == "tiny-test-2d")
    assert row["dims"] == 2 and row["baseline"] is False and row["sha256"] == tiny.sha256


def test_zoo_info_pull_and_predict_cli(tiny, tmp_path):
    r = invoke("zoo", "info", "tiny-test-2d", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["sha256"] == tiny.sha256 and info["resolved"].endswith("tiny-test-2d.safetensors")
    r = invoke("zoo", "pull", "tiny-test-2d", "--json", "--offline")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)[0]["name"] == "tiny-test-2d"
    img = (np.arange(32 * 40).reshape(32, 40) % 251).astype(np.uint8)
    Image.fromarray(img).save(tmp_path / "in.png")
    r = invoke("predict", "tiny-test-2d", tmp_path / "in.png", tmp_path / "out.png",
               "--probabilities", tmp_path / "p.zarr", "--spacing", "0.5")
    assert r.exit_code == 0, r.output
    assert np.asarray(Image.open(tmp_path / "out.png")).shape == (32, 40)
    import zarr

    p = zarr.open_array(str(tmp_path / "p.zarr"), mode="r")
    assert p.shape == (3, 32, 40) and p.attrs["kind"] == "probabilities"
    np.testing.assert_allclose(np.asarray(p[...]).sum(0), 1.0, atol=1e-4)


def test_cli_errors(tiny, tmp_path):
    r = invoke("zoo", "info", "no-such-model")
    assert r.exit_code == 2 and "unknown model 'no-such-model'; available:" in r.output
    (tmp_path / "bad.tif").write_bytes(b"II*\0garbage")
    r = invoke("predict", "tiny-test-2d", tmp_path / "bad.tif", tmp_path / "o.tif")
    assert r.exit_code == 2 and "bad.tif: " in r.output and "error:" in r.output
    r = invoke("train", "--generator", "nope", "--out", tmp_path / "r")
    assert r.exit_code == 2 and "unknown generator 'nope'" in r.output


def test_predict_precision_option(tiny, tmp_path, monkeypatch):
    """``--precision`` reaches the network; a precision the device cannot run is one line,
    before anything is written."""
    img = (np.arange(32 * 40).reshape(32, 40) % 251).astype(np.uint8)
    Image.fromarray(img).save(tmp_path / "in.png")
    r = invoke("predict", "tiny-test-2d", tmp_path / "in.png", tmp_path / "o.png", "--precision", "float16")
    assert r.exit_code == 2 and "error: precision float16 needs a CUDA device" in r.output
    assert not (tmp_path / "o.png").exists()
    monkeypatch.setenv("SYNTHZOO_PRECISION", "fp4")
    r = invoke("predict", "tiny-test-2d", tmp_path / "in.png", tmp_path / "o.png")
    assert r.exit_code == 2 and "SYNTHZOO_PRECISION='fp4' is not a precision" in r.output
    monkeypatch.delenv("SYNTHZOO_PRECISION")
    import synthzoo.zoo.inference as inf

    seen = []
    real = inf.logits
    monkeypatch.setattr(inf, "logits", lambda m, x, p="float32": seen.append(p) or real(m, x, p))
    import synthzoo.zoo.predict as P

    monkeypatch.setattr(P, "logits", inf.logits)
    for prec in ("bfloat16", "float32"):
        r = invoke("predict", "tiny-test-2d", tmp_path / "in.png", tmp_path / f"{prec}.png", "--precision", prec)
        assert r.exit_code == 0, r.output
        assert seen and set(seen) == {prec}
        seen.clear()
    a, b = (np.asarray(Image.open(tmp_path / f"{p}.png")) for p in ("bfloat16", "float32"))
    assert a.shape == b.shape == (32, 40) and (a == b).mean() > 0.95


def test_predict_says_when_it_takes_the_models_voxel_size(tiny, tmp_path):
    """A PNG has no voxel size: predict takes the model's and says so on stderr (one line);
    with --spacing it says nothing; stdout stays the written paths only."""
    img = (np.arange(32 * 40).reshape(32, 40) % 251).astype(np.uint8)
    Image.fromarray(img).save(tmp_path / "in.png")
    r = invoke("predict", "tiny-test-2d", tmp_path / "in.png", tmp_path / "a.png", "--no-progress")
    assert r.exit_code == 0, r.output
    assert r.stdout.split() == [str(tmp_path / "a.png")]
    line = f"{tmp_path / 'in.png'}: the file gives no voxel size; taken as the model's"
    assert line in r.stderr.replace("\n", " ") and "(give --spacing if the image's is another)" in r.stderr
    r = invoke("predict", "tiny-test-2d", tmp_path / "in.png", tmp_path / "b.png", "--no-progress", "--spacing", "1")
    assert r.exit_code == 0, r.output
    assert "no voxel size" not in r.stderr and r.stdout.split() == [str(tmp_path / "b.png")]
