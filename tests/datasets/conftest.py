"""Tiny builds of every test set, shared by the dataset tests (built once per session)."""

from __future__ import annotations

import shutil

import pytest

TINY = {"neuro-contrasts": 32, "ultrasound-phantoms": 32, "em-cells": 64, "fluorescence-nuclei": 32,
        "micro-ct-pores": 16, "ct-head": 32, "pet-brain": 32}


@pytest.fixture(scope="session")
def tiny_sizes():
    """Tiny size per test set (what ``tiny_root`` is built with)."""
    return dict(TINY)


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory):
    """A root with every built-in test set built at a tiny size (read-only for tests)."""
    import synthzoo.datasets as ds

    root = tmp_path_factory.mktemp("testsets")
    for name, size in TINY.items():
        ds.build(name, root, size=size)
    return root


@pytest.fixture()
def copy_of(tiny_root, tmp_path):
    """Copy one built test set into a fresh root (for tests that damage it)."""

    def _copy(name: str):
        shutil.copytree(tiny_root / f"{name}.zarr", tmp_path / f"{name}.zarr")
        return tmp_path

    return _copy
