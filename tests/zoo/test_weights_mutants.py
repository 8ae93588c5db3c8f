"""Weights resolution (synthzoo.zoo.weights) behaviour by behaviour: where the cache and the
bundled copies live, how files are named, what each refusal says, and strict loading.
Written against the surviving mutants of scripts/mutation.sh."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
import warnings
from pathlib import Path

import pytest
import torch

from synthzoo._fetch import CacheWarning
from synthzoo.zoo import weights
from synthzoo.zoo.registry import MODELS
from synthzoo.zoo.unet import UNet
from synthzoo.zoo.weights import WeightsError, cache_path, fetch, load_weights, locate
from zoo_helpers import TINY_KW, tiny_card

import synthzoo.zoo


def test_the_package_ships_its_bundled_weights_and_they_verify(monkeypatch, tmp_path):
    monkeypatch.setenv("SYNTHZOO_CACHE", str(tmp_path / "empty-cache"))
    assert weights.BUNDLED == Path(synthzoo.zoo.__file__).parent / "weights"
    card = MODELS.get("fluorescence-nuclei-unet-2d").card
    assert locate(card) == str(weights.BUNDLED / card.weights_file)
    assert fetch(card, offline=True) == weights.BUNDLED / card.weights_file


def test_cache_layout_name_and_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHZOO_CACHE", str(tmp_path))
    sha = hashlib.sha256(b"x").hexdigest()
    assert weights.cache_dir() == tmp_path / "weights"
    card = tiny_card(sha)
    assert cache_path(card) == tmp_path / "weights" / f"tiny-test-2d-{sha[:16]}.safetensors"
    # without a weights_file the model name is the file name
    bare = dataclasses.replace(card, weights_file="", name="bare")
    assert cache_path(bare) == tmp_path / "weights" / f"bare-{sha[:16]}.safetensors"


def test_a_bare_card_resolves_its_bundled_file_by_model_name(tiny, cache):
    bundled = weights.BUNDLED / tiny.weights_file
    shutil.copy(bundled, weights.BUNDLED / "bare.safetensors")
    bare = dataclasses.replace(tiny, weights_file="", name="bare")
    assert fetch(bare) == weights.BUNDLED / "bare.safetensors"
    assert locate(bare) == str(weights.BUNDLED / "bare.safetensors")


def test_locate_is_none_when_nothing_verified_is_local(tiny, cache):
    (weights.BUNDLED / tiny.weights_file).write_bytes(b"tampered")
    assert locate(tiny) is None


def test_a_card_without_sha256_is_refused(tiny):
    with pytest.raises(WeightsError, match=r"^model 'tiny-test-2d': its card has no sha256, so weights "
                                           r"cannot be verified$"):
        fetch(dataclasses.replace(tiny, sha256=""))


def test_bad_cached_weights_warning_names_the_model_and_points_at_the_caller(tiny, cache):
    cached = cache_path(tiny)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"garbage")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fetch(tiny)
    assert [str(w.message) for w in caught] == [
        f"{cached}: cached weights of 'tiny-test-2d' do not match the card's sha256; removed, resolving again"]
    assert caught[0].category is CacheWarning and caught[0].filename == __file__


def test_bundled_mismatch_message_says_to_reinstall(tiny):
    bundled = weights.BUNDLED / tiny.weights_file
    bundled.write_bytes(b"tampered")
    with pytest.raises(WeightsError) as err:
        fetch(tiny)
    assert str(err.value) == (f"{bundled}: bundled weights of 'tiny-test-2d' do not match the card's sha256 "
                              f"{tiny.sha256}; reinstall the package that ships it")


def test_download_lands_in_the_weights_cache_and_offline_errors_name_the_model(tiny, cache, server, monkeypatch):
    monkeypatch.delenv("SYNTHZOO_MIRROR", raising=False)
    root, url = server
    shutil.move(weights.BUNDLED / tiny.weights_file, root / "w.safetensors")
    card = tiny_card(tiny.sha256, urls=[f"{url}/w.safetensors"])
    with pytest.raises(WeightsError) as err:
        fetch(card, offline=True)
    assert str(err.value) == (f"model 'tiny-test-2d': tiny-test-2d.safetensors: not in the cache "
                              f"({cache_path(card)}), and --offline forbids downloading from {url}/w.safetensors")
    load_weights(UNet(**TINY_KW), card)  # downloads unless told otherwise
    path = cache_path(card)
    assert sorted(p.name for p in cache.iterdir()) == [path.name]
    assert fetch(card, offline=True) == path
    assert load_weights(UNet(**TINY_KW), card, offline=True).state_dict().keys() == UNet(**TINY_KW).state_dict().keys()


def test_three_retries_by_default(tiny, cache, server, monkeypatch):
    import pooch.core

    monkeypatch.delenv("SYNTHZOO_MIRROR", raising=False)
    monkeypatch.setattr(pooch.core.time, "sleep", lambda s: None)  # pooch's back-off between attempts
    _, url = server
    (weights.BUNDLED / tiny.weights_file).unlink()
    card = tiny_card(tiny.sha256, urls=[f"{url}/nothing-here"])
    with pytest.raises(WeightsError, match=r"download failed after 4 attempts"):
        fetch(card)


def test_load_weights_is_strict_and_says_which_file(tiny, cache):
    torch.manual_seed(1)
    model = load_weights(UNet(**TINY_KW), tiny)
    from safetensors.torch import load_file

    saved = load_file(str(weights.BUNDLED / tiny.weights_file))
    assert all(torch.equal(model.state_dict()[k], v) for k, v in saved.items())
    class Bigger(UNet):  # every key of the file with its shape, plus one the file lacks
        def __init__(self):
            super().__init__(**TINY_KW)
            self.extra = torch.nn.Parameter(torch.zeros(1))

    bigger = Bigger()
    with pytest.raises(WeightsError, match=rf"(?s)^{re.escape(str(weights.BUNDLED / tiny.weights_file))}: weights do "
                                           r"not fit model 'tiny-test-2d' \(.*Missing key.*extra"):
        load_weights(bigger, tiny)
