"""The contract every registered test set meets, built-ins and plugins alike (parametrised over
the registry): it builds at its tiny size, opens lazily with the cases its card lists, its labels
lie within the card's label names and shape the image, its checksums verify, and a damaged chunk
gives an error naming the test set, case and array."""

from __future__ import annotations

import shutil

import dask.array as da
import numpy as np
import pytest

import synthzoo.datasets as ds
from synthzoo.datasets.base import REQUIRED_ATTRS, DatasetError, TestSetBuilder

NAMES = ds.DATASETS.names()


def test_registry_lists_test_sets():
    assert NAMES, "no test set is registered"


@pytest.mark.parametrize("name", NAMES)
def test_builder_declares_what_the_card_needs(name):
    b = ds.get_builder(name)
    assert isinstance(b, TestSetBuilder) and b.name == name
    assert b.dims in (2, 3) and b.domain and b.description and b.method and b.license
    assert len(b.label_names) >= 2 and len(set(b.label_names)) == len(b.label_names)
    assert b.contrasts and len(set(b.contrasts)) == len(b.contrasts)
    assert b.min_size <= b.tiny_size <= b.quick_size <= b.default_size
    assert b.max_size is None or b.default_size <= b.max_size


@pytest.mark.parametrize("name", NAMES)
def test_opens_lazily_with_the_cards_cases_and_labels(name, tiny_store):
    root = tiny_store(name)
    ts, b = ds.open(name, root), ds.get_builder(name)
    assert ts.card.name == name and ts.card.contrasts == tuple(b.contrasts)
    assert tuple(ts.card.label_names) == tuple(b.label_names)
    assert sorted(ts.cases) == sorted(ts.card.cases)
    assert {c.contrast for c in ts} == set(b.contrasts)  # one case per contrast at least
    for case in ts:
        assert isinstance(case.image, da.Array) and isinstance(case.labels, da.Array)
        assert case.image.dtype == np.float32 and case.labels.dtype == np.uint8
        assert case.image.shape == case.labels.shape and case.image.ndim == b.dims
        assert all(k in case.attrs for k in REQUIRED_ATTRS)
        assert case.attrs["domain"] == b.domain and len(case.spacing) == b.dims
        assert case.attrs.get("spacing_unit", "mm") == b.spacing_unit in ("mm", "um")
        img, lab = case.image.compute(), case.labels.compute()
        assert np.isfinite(img).all() and img.std() > 0
        assert lab.max() < len(ts.card.label_names), f"{name}/{case.name}: label outside the card's names"
        assert len(np.unique(lab)) >= 2, f"{name}/{case.name}: a single label"
        # the image depends on the labels: the mean intensities of the labels covering at least
        # 2 % of the case span more than a fifth of the image's spread
        big = [k for k, n in enumerate(np.bincount(lab.ravel())) if n >= 0.02 * lab.size]
        means = [img[lab == k].mean() for k in big]
        assert len(big) >= 2 and max(means) - min(means) > 0.2 * img.std(), f"{name}/{case.name}"


@pytest.mark.parametrize("name", NAMES)
def test_verifies_and_a_damaged_chunk_is_named(name, tiny_store, tmp_path):
    rep = ds.verify(name, tiny_store(name))
    assert rep["ok"] and len(rep["arrays"]) >= 2 * len(ds.get_builder(name).contrasts)
    shutil.copytree(tiny_store(name) / f"{name}.zarr", tmp_path / f"{name}.zarr")
    case = sorted(ds.open(name, tmp_path).cases)[0]
    chunk = sorted(p for p in (tmp_path / f"{name}.zarr" / case / "image" / "c").rglob("*") if p.is_file())[0]
    # the payload zeroed, the length kept: a truncated Blosc chunk makes the decoder read past
    # the buffer's end (it trusts the header's size), which fails only most of the time
    data = chunk.read_bytes()
    chunk.write_bytes(data[:16] + bytes(len(data) - 16))
    with pytest.raises(DatasetError, match=f"{name}/{case}/image: cannot read chunk"):
        ds.open(name, tmp_path)[case].image.sum().compute(scheduler="sync")  # no scheduler a test left behind
    rep = ds.verify(name, tmp_path)
    assert not rep["ok"]
    assert [(r["case"], r["array"]) for r in rep["arrays"] if not r["ok"]] == [(case, "image")]
