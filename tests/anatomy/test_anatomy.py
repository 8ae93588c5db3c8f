"""Anatomy sources: registry and CLI, verified fetching (loopback server, mirror, tampering,
offline), the compact cache against the raw file, and the split."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from synthzoo._fetch import CacheWarning, FetchError, fetch_file, sha256_file
from synthzoo.anatomy import ANATOMY, AnatomyError, SplitError, get_source
from synthzoo.anatomy import synthseg
from synthzoo.cli import app


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHZOO_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _mirror_file(subject: str) -> Path:
    import os

    name = synthseg.MANIFEST["files"][subject]["name"]
    for folder in os.environ.get("SYNTHZOO_MIRROR", "").split(os.pathsep):
        if folder and (Path(folder) / name).is_file():
            return Path(folder) / name
    pytest.skip("the synthseg-20 mirror is not available (SYNTHZOO_MIRROR)")


def test_registry_lists_both_sources_with_their_split():
    assert {"mni152-tissue", "synthseg-20"} <= set(ANATOMY.names())
    res = CliRunner().invoke(app, ["anatomy", "list", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["name"]: r for r in json.loads(res.output)}
    s = rows["synthseg-20"]
    assert s["train"] == [f"{i:02d}" for i in range(1, 16)] and s["heldout"] == [f"{i:02d}" for i in range(16, 21)]
    assert len(s["labels"]) == 54 and s["labels"]["515"] .startswith("non-brain 515")
    assert s["license"] == "Apache-2.0" and "Billot" in s["citation"] and s["spacing_mm"] == 1.0
    assert set(s["targets"]) == {"tissue", "brain"}
    assert rows["mni152-tissue"]["heldout"] == ["heldout-slab"]


def test_unknown_source_and_subject_are_clear_errors():
    res = CliRunner().invoke(app, ["anatomy", "fetch", "synthseg-21", "--offline"])
    assert res.exit_code == 2 and "unknown anatomy source 'synthseg-21'; available:" in res.output
    with pytest.raises(AnatomyError, match="unknown subject '21'; valid: 01, 02"):
        get_source("synthseg-20").training_volume("21")


def test_split_is_enforced_both_ways():
    src = get_source("synthseg-20")
    for s in src.heldout:
        with pytest.raises(SplitError, match=f"subject {s} is held out for test sets"):
            src.training_volume(s)
    with pytest.raises(SplitError, match="subject 01 is training anatomy"):
        src.heldout_volume("01")
    mni = get_source("mni152-tissue")
    with pytest.raises(SplitError):
        mni.training_volume("heldout-slab")


def test_compact_cache_equals_the_raw_label_map(cache):
    """The cached uint8 indices, mapped back through the label table, equal the raw NIfTI
    reoriented to RAS and cropped to its non-zero box (+2 voxels), voxel for voxel."""
    import nibabel as nib

    raw_path = _mirror_file("03")
    src = get_source("synthseg-20")
    synthseg._compact.cache_clear()
    vol = src.training_volume("03")
    assert src.compact_path("03").is_file() and vol.dtype == np.uint8
    raw = np.rint(np.asarray(nib.as_closest_canonical(nib.load(str(raw_path))).dataobj)).astype(int)
    nz = np.nonzero(raw)
    box = tuple(slice(max(0, int(i.min()) - 2), int(i.max()) + 3) for i in nz)
    assert np.array_equal(np.asarray(src.label_values)[vol], raw[box])
    # a damaged compact entry is rebuilt from the verified raw file
    synthseg._compact.cache_clear()
    src.compact_path("03").write_bytes(b"not an npy file")
    assert np.array_equal(src.training_volume("03"), vol)
    synthseg._compact.cache_clear()


def test_fetch_over_http_verifies_and_caches(cache, server, monkeypatch):
    www, url = server
    monkeypatch.delenv("SYNTHZOO_MIRROR", raising=False)
    data = gzip.compress(b"label map bytes" * 100)
    (www / "f.nii.gz").write_bytes(data)
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    path = fetch_file("f.nii.gz", sha, collection="anatomy/test", urls=[f"{url}/missing", f"{url}/f.nii.gz"],
                      retries=0)
    assert path == cache / "anatomy" / "test" / "f.nii.gz" and sha256_file(path) == sha
    assert sorted(p.name for p in path.parent.iterdir()) == ["f.nii.gz"]  # no temporary files
    (www / "f.nii.gz").unlink()
    assert fetch_file("f.nii.gz", sha, collection="anatomy/test", urls=[f"{url}/f.nii.gz"], offline=True) == path
    # a cached copy that no longer verifies is reported, removed and fetched again
    path.write_bytes(b"bit rot")
    (www / "f.nii.gz").write_bytes(data)
    with pytest.warns(CacheWarning, match="does not match its sha256"):
        again = fetch_file("f.nii.gz", sha, collection="anatomy/test", urls=[f"{url}/f.nii.gz"], retries=0)
    assert sha256_file(again) == sha


def test_tampered_download_is_rejected_and_nothing_cached(cache, server, monkeypatch):
    www, url = server
    monkeypatch.delenv("SYNTHZOO_MIRROR", raising=False)
    good = b"the real file" * 50
    import hashlib

    sha = hashlib.sha256(good).hexdigest()
    bad = good[:-1] + b"X"
    (www / "t.nii.gz").write_bytes(bad)
    with pytest.raises(FetchError, match=rf"sha256 mismatch \(expected {sha}, got {hashlib.sha256(bad).hexdigest()}\)"):
        fetch_file("t.nii.gz", sha, collection="anatomy/test", urls=[f"{url}/t.nii.gz"], retries=0)
    folder = cache / "anatomy" / "test"
    assert not folder.exists() or list(folder.iterdir()) == []
    with pytest.raises(FetchError, match="--offline forbids downloading from http://127.0.0.1"):
        fetch_file("t.nii.gz", sha, collection="anatomy/test", urls=[f"{url}/t.nii.gz"], offline=True)


def test_source_downloads_a_subject_when_no_mirror(cache, server, monkeypatch):
    """The synthseg-20 source itself: no mirror, the manifest's URL pointed at the loopback
    server; the subject is downloaded, verified, decoded and cached; a tampered copy fails with
    a message naming the subject."""
    www, url = server
    raw = _mirror_file("05")
    monkeypatch.delenv("SYNTHZOO_MIRROR", raising=False)
    files = {k: dict(v) for k, v in synthseg.MANIFEST["files"].items()}
    files["05"]["urls"] = [f"{url}/{files['05']['name']}"]
    monkeypatch.setitem(synthseg.MANIFEST, "files", files)
    synthseg._compact.cache_clear()
    src = get_source("synthseg-20")
    shutil.copy(raw, www / files["05"]["name"])
    vol = src.training_volume("05")
    assert vol.ndim == 3 and (cache / "anatomy" / "synthseg-20" / files["05"]["name"]).is_file()
    synthseg._compact.cache_clear()
    shutil.rmtree(cache)
    (www / files["05"]["name"]).write_bytes(raw.read_bytes()[:-10])
    with pytest.raises(AnatomyError, match="anatomy 'synthseg-20', subject 05: .*sha256 mismatch"):
        src.training_volume("05")
    synthseg._compact.cache_clear()
    with pytest.raises(AnatomyError, match="subject 05: .*--offline forbids downloading"):
        src.training_volume("05", offline=True)
    synthseg._compact.cache_clear()
