"""Tiny builds of every registered test set (plugins included), shared by the dataset tests:
each at its builder's ``tiny_size``, built once per session on first use."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def tiny_sizes():
    """Tiny size per registered test set (what ``tiny_root`` holds)."""
    import synthzoo.datasets as ds

    return {name: ds.get_builder(name).tiny_size for name in ds.DATASETS.names()}


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory, tiny_sizes):
    """``tiny_store(name)``: the session root, with test set ``name`` built at its tiny size."""
    import synthzoo.datasets as ds

    root = tmp_path_factory.mktemp("testsets")

    def _built(name: str):
        ds.build(name, root, size=tiny_sizes[name])  # resumable: a built store is returned as is
        return root

    return _built


@pytest.fixture(scope="session")
def tiny_root(tiny_store, tiny_sizes):
    """A root with every registered test set built at its tiny size (read-only for tests)."""
    for name in tiny_sizes:
        root = tiny_store(name)
    return root


@pytest.fixture()
def copy_of(tiny_store, tmp_path):
    """Copy one built test set into a fresh root (for tests that damage it)."""

    def _copy(name: str):
        shutil.copytree(tiny_store(name) / f"{name}.zarr", tmp_path / f"{name}.zarr")
        return tmp_path

    return _copy
