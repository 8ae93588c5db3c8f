import shutil

import pytest
import torch

from synthzoo._fetch import CacheWarning
from synthzoo.zoo import weights
from synthzoo.zoo.models import create_model
from synthzoo.zoo.weights import WeightsError, cache_path, fetch, locate
from zoo_helpers import tiny_card


def _cache_files(cache):
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_resolution_order(tiny, cache):
    bundled = weights.BUNDLED / tiny.weights_file
    # 1. nothing cached: the bundled copy
    assert fetch(tiny) == bundled and locate(tiny) == str(bundled)
    # 2. a verified cache entry wins over the bundled copy
    cached = cache_path(tiny)
    cached.parent.mkdir(parents=True)
    shutil.copy(bundled, cached)
    assert fetch(tiny) == cached and locate(tiny) == str(cached)
    # 3. a corrupted cache entry is dropped and the bundled copy used
    cached.write_bytes(b"garbage")
    with pytest.warns(CacheWarning, match="do not match the card's sha256; removed"):
        assert fetch(tiny) == bundled
    assert not cached.exists()


def test_bundled_mismatch_is_an_error(tiny):
    (weights.BUNDLED / tiny.weights_file).write_bytes(b"tampered")
    with pytest.raises(WeightsError, match="bundled weights of 'tiny-test-2d' do not match"):
        fetch(tiny)


def test_download_verified_and_cached(tiny, cache, server):
    root, url = server
    src = weights.BUNDLED / tiny.weights_file
    shutil.move(src, root / "w.safetensors")  # no longer bundled: only the URL has it
    card = tiny_card(tiny.sha256, urls=[f"{url}/missing.safetensors", f"{url}/w.safetensors"])
    path = fetch(card, retries=0)
    assert path == cache_path(card) and weights.sha256_file(path) == tiny.sha256
    assert _cache_files(cache) == [path.name]  # no temporary files left
    # offline now works from the cache
    assert fetch(card, offline=True) == path
    model = create_model("tiny-test-2d", pretrained=True)
    from safetensors.torch import load_file

    state = load_file(str(path))
    assert all(torch.equal(model.state_dict()[k], v) for k, v in state.items())


def test_tampered_download_rejected(tiny, cache, server):
    root, url = server
    data = (weights.BUNDLED / tiny.weights_file).read_bytes()
    (weights.BUNDLED / tiny.weights_file).unlink()
    (root / "w.safetensors").write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    card = tiny_card(tiny.sha256, urls=[f"{url}/w.safetensors"])
    with pytest.raises(WeightsError, match=r"sha256 mismatch \(expected " + tiny.sha256):
        fetch(card, retries=0)
    assert _cache_files(cache) == []  # nothing left behind, not even a partial file


def test_download_failure_retries_then_errors(tiny, cache, server):
    root, url = server
    (weights.BUNDLED / tiny.weights_file).unlink()
    card = tiny_card(tiny.sha256, urls=[f"{url}/nothing-here"])
    with pytest.raises(WeightsError, match="download failed after 2 attempts"):
        fetch(card, retries=1)
    assert _cache_files(cache) == []


def test_offline_error(tiny, cache):
    (weights.BUNDLED / tiny.weights_file).unlink()
    card = tiny_card(tiny.sha256, urls=["http://127.0.0.1:9/w.safetensors"])
    with pytest.raises(WeightsError, match="--offline forbids downloading from http://127.0.0.1:9"):
        fetch(card, offline=True)


def test_pretrained_without_card_is_an_error():
    with pytest.raises(ValueError, match="model 'unet' has no pretrained weights; pretrained models:"):
        create_model("unet", pretrained=True)
