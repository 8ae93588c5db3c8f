"""The verified downloader (synthzoo._fetch) behaviour by behaviour: resolution order of cache,
caller mirrors, $SYNTHZOO_MIRROR and URLs, what is written where, and what each failure says.
Written against the surviving mutants of scripts/mutation.sh; fast (loopback server, retries=0)."""

from __future__ import annotations

import hashlib
import logging
import os
import warnings

import pytest

from synthzoo import _fetch
from synthzoo._fetch import CacheWarning, FetchError, fetch_file

DATA = b"verified payload " * 64
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHZOO_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SYNTHZOO_MIRROR", raising=False)
    return tmp_path / "cache"


def test_default_cache_is_the_platform_user_cache_of_synthzoo(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.delenv("SYNTHZOO_CACHE", raising=False)
    assert _fetch.cache_root() == __import__("pathlib").Path(platformdirs.user_cache_dir("synthzoo"))
    monkeypatch.setenv("SYNTHZOO_CACHE", "")  # empty: not set
    assert _fetch.cache_root() == __import__("pathlib").Path(platformdirs.user_cache_dir("synthzoo"))
    monkeypatch.setenv("SYNTHZOO_CACHE", str(tmp_path))
    assert _fetch.cache_root() == tmp_path


def test_sha256_of_a_file_larger_than_one_read(tmp_path):
    data = os.urandom((1 << 20) + 12345)  # more than one 1 MiB read, not a multiple of it
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert _fetch.sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert _fetch.verified(path, hashlib.sha256(data).hexdigest())
    assert not _fetch.verified(path, SHA)
    assert not _fetch.verified(tmp_path / "absent.bin", SHA)
    assert not _fetch.verified(tmp_path, SHA)  # a folder is not a verified file


def test_mirror_folders_caller_first_then_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("SYNTHZOO_MIRROR", raising=False)
    assert _fetch.mirror_folders() == []
    monkeypatch.setenv("SYNTHZOO_MIRROR", os.pathsep.join([str(tmp_path / "e1"), "", str(tmp_path / "e2")]))
    assert _fetch.mirror_folders([tmp_path / "c"]) == [tmp_path / "c", tmp_path / "e1", tmp_path / "e2"]


def test_no_sha256_is_refused_before_anything_is_looked_up(cache):
    with pytest.raises(FetchError, match=r"^f\.bin: no sha256 given, so the file cannot be verified$"):
        fetch_file("f.bin", "", collection="weights", urls=["http://127.0.0.1:9/f.bin"])


def test_caller_mirror_wins_and_the_collection_leaf_folder_is_searched(cache, tmp_path, monkeypatch):
    env, mine = tmp_path / "env", tmp_path / "mine"
    (env / "synthseg-20").mkdir(parents=True)
    (mine / "synthseg-20").mkdir(parents=True)
    (env / "synthseg-20" / "f.bin").write_bytes(DATA)
    monkeypatch.setenv("SYNTHZOO_MIRROR", str(env))
    # found under the collection's last path component, in the environment's mirror
    assert fetch_file("f.bin", SHA, collection="anatomy/synthseg-20") == env / "synthseg-20" / "f.bin"
    # a verified copy in the caller's mirror comes first
    (mine / "synthseg-20" / "f.bin").write_bytes(DATA)
    assert fetch_file("f.bin", SHA, collection="anatomy/synthseg-20", mirrors=[mine]) == mine / "synthseg-20" / "f.bin"
    # directly in the folder comes before the collection sub-folder
    (mine / "f.bin").write_bytes(DATA)
    assert fetch_file("f.bin", SHA, collection="anatomy/synthseg-20", mirrors=[mine]) == mine / "f.bin"
    # a collection without a "/" is its own leaf
    (env / "weights").mkdir()
    (env / "weights" / "w.bin").write_bytes(DATA)
    assert fetch_file("w.bin", SHA, collection="weights") == env / "weights" / "w.bin"
    assert not cache.exists()  # mirrors are used in place, never copied


def test_a_bad_mirror_copy_is_reported_at_the_caller_and_skipped(cache, tmp_path):
    bad, good = tmp_path / "bad", tmp_path / "good"
    bad.mkdir()
    good.mkdir()
    (bad / "f.bin").write_bytes(DATA + b"!")
    (good / "f.bin").write_bytes(DATA)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert fetch_file("f.bin", SHA, collection="c", mirrors=[bad, good]) == good / "f.bin"
    assert [str(w.message) for w in caught] == [
        f"{bad / 'f.bin'}: mirror copy does not match sha256 {SHA[:16]}...; ignored"]
    assert caught[0].category is CacheWarning and caught[0].filename == __file__
    assert (bad / "f.bin").read_bytes() == DATA + b"!"  # a mirror is never modified


def test_a_bad_cached_copy_is_reported_removed_and_resolved_again(cache, tmp_path):
    cached = cache / "weights" / "w-1234.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"bit rot")
    mirror = tmp_path / "m"
    mirror.mkdir()
    (mirror / "w.bin").write_bytes(DATA)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = fetch_file("w.bin", SHA, collection="weights", cache_name="w-1234.bin", mirrors=[mirror])
    assert got == mirror / "w.bin" and not cached.exists()
    assert [str(w.message) for w in caught] == [
        f"{cached}: cached file does not match its sha256 {SHA[:16]}...; it was removed and is fetched again"]
    assert caught[0].category is CacheWarning and caught[0].filename == __file__
    # a verified cached copy under cache_name is returned as it is
    cached.write_bytes(DATA)
    assert fetch_file("w.bin", SHA, collection="weights", cache_name="w-1234.bin") == cached


def test_offline_and_no_url_messages(cache, tmp_path):
    where = f"not in the cache ({cache / 'c' / 'f.bin'})"
    with pytest.raises(FetchError) as err:
        fetch_file("f.bin", SHA, collection="c", offline=True, urls=["http://a/f.bin", "http://b/f.bin"])
    assert str(err.value) == f"f.bin: {where}, and --offline forbids downloading from http://a/f.bin, http://b/f.bin"
    with pytest.raises(FetchError) as err:
        fetch_file("f.bin", SHA, collection="c", offline=True)
    assert str(err.value) == f"f.bin: {where}, and --offline forbids downloading"
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    with pytest.raises(FetchError) as err:
        fetch_file("f.bin", SHA, collection="c", mirrors=[empty])
    assert str(err.value) == (f"f.bin: {where} nor in a mirror, and no URL is known; set SYNTHZOO_MIRROR "
                              "to a folder holding the file")


def test_download_into_a_new_cache_folder_and_then_from_the_cache(cache, server):
    www, url = server
    (www / "f.bin").write_bytes(DATA)
    level = logging.getLogger("pooch").level
    path = fetch_file("f.bin", SHA, collection="anatomy/deep", cache_name="named.bin",
                      urls=[f"{url}/f.bin"], retries=0)
    assert path == cache / "anatomy" / "deep" / "named.bin" and path.read_bytes() == DATA
    assert os.listdir(path.parent) == ["named.bin"]
    assert logging.getLogger("pooch").level == level  # pooch's logger is left as it was
    # a second file into the existing folder
    (www / "g.bin").write_bytes(DATA * 2)
    sha2 = hashlib.sha256(DATA * 2).hexdigest()
    assert fetch_file("g.bin", sha2, collection="anatomy/deep", urls=[f"{url}/g.bin"], retries=0).read_bytes() == DATA * 2
    (www / "f.bin").unlink()
    assert fetch_file("f.bin", SHA, collection="anatomy/deep", cache_name="named.bin", offline=True) == path


def test_every_failed_url_is_reported_and_a_tampered_file_names_its_hash(cache, server):
    www, url = server
    bad = DATA[:-1] + b"?"
    (www / "t.bin").write_bytes(bad)
    with pytest.raises(FetchError) as err:
        fetch_file("t.bin", SHA, collection="c", urls=[f"{url}/missing.bin", f"{url}/t.bin"], retries=0)
    first, second = str(err.value).removeprefix("t.bin: no URL gave a verified copy: ").split("; ", 1)
    assert first.startswith(f"{url}/missing.bin: download failed after 1 attempts (HTTPError: 404")
    assert second == (f"{url}/t.bin: sha256 mismatch (expected {SHA}, got {hashlib.sha256(bad).hexdigest()}); "
                      "the file was rejected and not cached")
    assert not (cache / "c").exists() or os.listdir(cache / "c") == []


@pytest.fixture
def no_backoff(monkeypatch):
    """pooch waits 1 s, 2 s, ... between attempts; the attempts themselves are what is tested."""
    import pooch.core

    waits = []
    monkeypatch.setattr(pooch.core.time, "sleep", waits.append)
    return waits


def test_retries_are_counted_and_three_by_default(cache, server, no_backoff):
    _, url = server
    with pytest.raises(FetchError, match=r"missing\.bin: download failed after 2 attempts \(HTTPError"):
        _fetch.download(f"{url}/missing.bin", cache / "x" / "f.bin", SHA, retries=1)
    with pytest.raises(FetchError, match=r"missing\.bin: download failed after 4 attempts \(HTTPError"):
        _fetch.download(f"{url}/missing.bin", cache / "x" / "f.bin", SHA)
    with pytest.raises(FetchError, match=r"missing\.bin: download failed after 4 attempts \(HTTPError"):
        fetch_file("f.bin", SHA, collection="c", urls=[f"{url}/missing.bin"])
    assert no_backoff == [1, 1, 2, 3, 1, 2, 3]


def test_no_progress_bar_unless_asked(cache, server, capfd):
    www, url = server
    (www / "f.bin").write_bytes(DATA)
    fetch_file("f.bin", SHA, collection="c", urls=[f"{url}/f.bin"], retries=0)
    assert "%|" not in capfd.readouterr().err  # (the loopback server logs its requests there)
    _fetch.download(f"{url}/f.bin", cache / "d" / "f.bin", SHA, retries=0)
    assert "%|" not in capfd.readouterr().err
    _fetch.download(f"{url}/f.bin", cache / "e" / "f.bin", SHA, retries=0, progress=True)
    assert "100%|" in capfd.readouterr().err
