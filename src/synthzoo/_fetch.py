"""One verified downloader for everything the project fetches (weights, anatomy label maps).

A file is named by its sha256.  :func:`fetch_file` resolves it in this order and returns the
first copy whose sha256 matches:

1. the user cache (``$SYNTHZOO_CACHE`` or ``platformdirs.user_cache_dir("synthzoo")``);
2. mirror folders: ``$SYNTHZOO_MIRROR`` (folders separated by ``os.pathsep``) and ``mirrors``
   given by the caller, each searched for the file name directly and under a sub-folder named
   after the collection (an offline copy such as a lab share; used in place, never modified);
3. the URLs, downloaded with :mod:`pooch` (retries, sha256 check, download to a temporary
   name in the cache folder and rename), so a failed or tampered download leaves nothing.

A cached copy whose hash no longer matches is reported with a warning and replaced.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from pathlib import Path
from typing import Sequence


class FetchError(RuntimeError):
    """A file that cannot be found, downloaded or verified; the message says which and why."""


class CacheWarning(UserWarning):
    """A cached file failed verification and was replaced."""


def cache_root() -> Path:
    """The user cache folder (``$SYNTHZOO_CACHE`` if set)."""
    root = os.environ.get("SYNTHZOO_CACHE")
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("synthzoo")
    return Path(root)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verified(path: Path, sha256: str) -> bool:
    return path.is_file() and sha256_file(path) == sha256


def mirror_folders(extra: Sequence[str | Path] = ()) -> list[Path]:
    env = [p for p in os.environ.get("SYNTHZOO_MIRROR", "").split(os.pathsep) if p]
    return [Path(p) for p in (*extra, *env)]


def download(url: str, dest: Path, sha256: str, *, retries: int = 3, timeout: float = 30.0,
             progress: bool = False) -> Path:
    """Download ``url`` to ``dest`` with pooch: ``retries`` more attempts on network errors and
    on hash mismatches (a transfer cut short), sha256 checked on pooch's temporary file before
    it is renamed into place, so nothing is left behind on failure."""
    import pooch
    import requests

    dest.parent.mkdir(parents=True, exist_ok=True)
    p = pooch.create(path=dest.parent, base_url="", registry={dest.name: f"sha256:{sha256}"},
                     urls={dest.name: url}, retry_if_failed=retries)
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")
    try:
        return Path(p.fetch(dest.name, downloader=pooch.HTTPDownloader(timeout=timeout,
                                                                          progressbar=progress)))
    except ValueError as exc:  # pooch's hash mismatch
        if "hash" not in str(exc).lower():
            raise
        m = re.search(r"but got (\w+)", str(exc))
        got = m.group(1) if m else "another value"
        raise FetchError(f"{url}: sha256 mismatch (expected {sha256}, got {got}); "
                         "the file was rejected and not cached") from None
    except (requests.RequestException, OSError) as exc:
        raise FetchError(f"{url}: download failed after {retries + 1} attempts "
                         f"({type(exc).__name__}: {exc})") from None
    finally:
        logger.setLevel(level)


def fetch_file(name: str, sha256: str, *, collection: str, urls: Sequence[str] = (),
               mirrors: Sequence[str | Path] = (), cache_name: str | None = None,
               offline: bool = False, retries: int = 3, progress: bool = False) -> Path:
    """Path of a verified copy of file ``name`` (sha256 ``sha256``) of ``collection``
    (``"weights"``, ``"anatomy/synthseg-20"``, ...): cache, mirrors, then ``urls``."""
    if not sha256:
        raise FetchError(f"{name}: no sha256 given, so the file cannot be verified")
    cached = cache_root() / collection / (cache_name or name)
    if cached.is_file():
        if verified(cached, sha256):
            return cached
        warnings.warn(f"{cached}: cached file does not match its sha256 {sha256[:16]}...; "
                      "it was removed and is fetched again", CacheWarning, stacklevel=2)
        cached.unlink()
    leaf = collection.rsplit("/", 1)[-1]
    for folder in mirror_folders(mirrors):
        for cand in (folder / name, folder / leaf / name):
            if cand.is_file():
                if verified(cand, sha256):
                    return cand
                warnings.warn(f"{cand}: mirror copy does not match sha256 {sha256[:16]}...; ignored",
                              CacheWarning, stacklevel=2)
    where = f"not in the cache ({cached})" + (" nor in a mirror" if mirror_folders(mirrors) else "")
    if offline:
        raise FetchError(f"{name}: {where}, and --offline forbids downloading"
                         + (f" from {', '.join(urls)}" if urls else ""))
    if not urls:
        raise FetchError(f"{name}: {where}, and no URL is known; set SYNTHZOO_MIRROR to a folder "
                         "holding the file")
    errors = []
    for url in urls:
        try:
            return download(url, cached, sha256, retries=retries, progress=progress)
        except FetchError as exc:
            errors.append(str(exc))
    raise FetchError(f"{name}: no URL gave a verified copy: " + "; ".join(errors))
