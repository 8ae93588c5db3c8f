"""Multi-chunk stores (issue 14): checksums cover every chunk, verification finds damage in the
last chunk, and chunk-wise evaluation keeps only a few chunks in memory."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest
import zarr

import synthzoo.datasets as ds
import synthzoo.datasets.store as store
from synthzoo.datasets.base import Case
from synthzoo.datasets.evaluate import memtest

NAME = "micro-ct-pores"


def _independent_sha(data: np.ndarray, chunks: tuple[int, ...]) -> str:
    h = hashlib.sha256()
    for start in itertools.product(*(range(0, n, c) for n, c in zip(data.shape, chunks))):
        h.update(np.ascontiguousarray(data[tuple(slice(s, s + c) for s, c in zip(start, chunks))]).tobytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def chunked_root(tmp_path_factory):
    """micro-ct-pores at 16^3 written in 8^3 chunks: 8 chunks per array."""
    root = tmp_path_factory.mktemp("chunked")
    mp = pytest.MonkeyPatch()
    mp.setattr(store, "chunk_shape", lambda shape: tuple(min(8, int(n)) for n in shape))
    try:
        ds.build(NAME, root, size=16)
    finally:
        mp.undo()
    return root


def test_checksums_cover_every_chunk(chunked_root):
    manifest = ds.open(NAME, chunked_root).manifest
    for cname, arrays in manifest["cases"].items():
        for key, info in arrays.items():
            arr = zarr.open_array(str(chunked_root / f"{NAME}.zarr" / cname / key), mode="r")
            assert arr.chunks == (8, 8, 8) and arr.shape == (16, 16, 16)
            assert info["sha256"] == _independent_sha(arr[...], arr.chunks), (cname, key)


@pytest.mark.parametrize("key", ["image", "labels"])
def test_damage_in_the_last_chunk_is_found(chunked_root, tmp_path, key):
    import shutil

    shutil.copytree(chunked_root / f"{NAME}.zarr", tmp_path / f"{NAME}.zarr")
    case = sorted(ds.open(NAME, tmp_path).manifest["cases"])[-1]
    arr = zarr.open_array(str(tmp_path / f"{NAME}.zarr" / case / key), mode="a")
    arr[15, 15, 15] = arr[15, 15, 15] + 1  # the last voxel of the last chunk only
    rep = ds.verify(NAME, tmp_path)
    bad = [(r["case"], r["array"]) for r in rep["arrays"] if not r["ok"]]
    assert bad == [(case, key)] and not rep["ok"]
    assert store.array_sha256(arr) != store.array_sha256(
        zarr.open_array(str(chunked_root / f"{NAME}.zarr" / case / key), mode="r"))


def test_memtest_keeps_a_few_chunks_in_memory(tmp_path):
    """A 128^3 case in 32^3 chunks: the image is 8 MiB, a chunk 128 KiB; the chunk-wise
    evaluation allocates far less than the image (reading it whole would take >= 8 MiB)."""
    import dask.array as da

    rng = np.random.default_rng(0)
    lab = np.zeros((128, 128, 128), np.uint8)
    lab[32:96, 32:96, 32:96] = 1
    lab[56:72, 56:72, 56:72] = 2
    img = (lab * 10.0 + rng.normal(0, 1, lab.shape)).astype(np.float32)
    za = zarr.create_array(str(tmp_path / "img.zarr"), shape=img.shape, dtype="float32", chunks=(32, 32, 32))
    za[...] = img
    zl = zarr.create_array(str(tmp_path / "lab.zarr"), shape=lab.shape, dtype="uint8", chunks=(32, 32, 32))
    zl[...] = lab
    case = Case("big", da.from_zarr(za), da.from_zarr(zl), None, {"contrast": "x", "spacing": [1, 1, 1]})
    del img
    rep = memtest(case, n_labels=3, workers=1)
    assert rep["n_chunks"] == 64
    image_mb = 128 ** 3 * 4 / 2 ** 20
    assert rep["tracemalloc_peak_mb"] < image_mb / 4, rep
    counts = np.bincount(lab.ravel(), minlength=3)
    assert rep["stats"]["counts"] == {k: int(counts[k]) for k in range(3)}
    assert rep["stats"]["threshold_label"] == 2 and rep["stats"]["threshold_dice"] > 0.99
