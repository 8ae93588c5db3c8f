"""Resolving, verifying and caching pretrained weights (safetensors only, never pickle).

Resolution order for a card: (1) the local cache, (2) a copy bundled with the package in
``synthzoo/zoo/weights/``, (3) the card's URLs, downloaded with retries into a temporary file
in the cache folder, checked against the card's sha256 and only then renamed into place (so
a failed or tampered download leaves nothing behind).  The cache folder is
``$SYNTHZOO_CACHE`` if set, else ``platformdirs.user_cache_dir("synthzoo")``, with weights
under ``weights/``.
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from torch import nn

from synthzoo.zoo.card import WeightCard

BUNDLED = Path(__file__).parent / "weights"


class WeightsError(RuntimeError):
    """Weights that cannot be found, downloaded or verified; the message says which and why."""


def cache_dir() -> Path:
    root = os.environ.get("SYNTHZOO_CACHE")
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("synthzoo")
    return Path(root) / "weights"


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _file_name(card: WeightCard) -> str:
    return card.weights_file or f"{card.name}.safetensors"


def cache_path(card: WeightCard) -> Path:
    """Where ``card``'s weights live in the cache (named by name and hash)."""
    stem = _file_name(card).removesuffix(".safetensors")
    return cache_dir() / f"{stem}-{card.sha256[:16]}.safetensors"


def _verified(path: Path, card: WeightCard) -> bool:
    return path.is_file() and sha256_file(path) == card.sha256


def locate(card: WeightCard) -> str | None:
    """The local file the weights resolve to without downloading (``None`` if none)."""
    for path in (cache_path(card), BUNDLED / _file_name(card)):
        if _verified(path, card):
            return str(path)
    return None


def download(url: str, dest: Path, sha256: str, *, retries: int = 3, timeout: float = 30.0,
             backoff: float = 0.5) -> Path:
    """Download ``url`` to ``dest`` atomically, verified against ``sha256``.

    Network errors are retried ``retries`` times with exponential backoff; a hash mismatch is
    not retried (the server gives the wrong file) and raises :class:`WeightsError`.  Either
    way nothing is left at ``dest`` or in a temporary file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.partial")
    last: Exception | None = None
    for attempt in range(retries + 1):
        try:
            h = hashlib.sha256()
            with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as f:
                for chunk in iter(lambda: resp.read(1 << 20), b""):
                    h.update(chunk)
                    f.write(chunk)
            if h.hexdigest() != sha256:
                tmp.unlink(missing_ok=True)
                raise WeightsError(f"{url}: sha256 mismatch (expected {sha256}, got {h.hexdigest()}); "
                                   "the file was rejected and not cached")
            os.replace(tmp, dest)
            return dest
        except WeightsError:
            raise
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            tmp.unlink(missing_ok=True)
            last = exc
            if attempt < retries:
                time.sleep(backoff * 2**attempt)
    raise WeightsError(f"{url}: download failed after {retries + 1} attempts ({type(last).__name__}: {last})")


def fetch(card: WeightCard, *, offline: bool = False, retries: int = 3) -> Path:
    """Path of verified weights for ``card``: cache, then bundled copy, then download."""
    if not card.sha256:
        raise WeightsError(f"model {card.name!r}: its card has no sha256, so weights cannot be verified")
    cached = cache_path(card)
    if cached.is_file():
        if _verified(cached, card):
            return cached
        cached.unlink()  # a corrupted cache entry is dropped and resolved again
    bundled = BUNDLED / _file_name(card)
    if bundled.is_file():
        if _verified(bundled, card):
            return bundled
        raise WeightsError(f"{bundled}: bundled weights of {card.name!r} do not match the card's "
                           f"sha256 {card.sha256}; reinstall synthzoo")
    if offline:
        raise WeightsError(f"model {card.name!r}: weights are not in the cache ({cached}) nor bundled, "
                           "and --offline forbids downloading"
                           + (f" from {', '.join(card.urls)}" if card.urls else ""))
    if not card.urls:
        raise WeightsError(f"model {card.name!r}: weights are not in the cache ({cached}) nor bundled, "
                           "and the card lists no URLs")
    errors = []
    for url in card.urls:
        try:
            return download(url, cached, card.sha256, retries=retries)
        except WeightsError as exc:
            errors.append(str(exc))
    raise WeightsError(f"model {card.name!r}: no URL gave verified weights: " + "; ".join(errors))


def load_weights(model: nn.Module, card: WeightCard, *, offline: bool = False) -> nn.Module:
    """Load ``card``'s verified safetensors into ``model`` (strict)."""
    from safetensors.torch import load_file

    path = fetch(card, offline=offline)
    state = load_file(str(path))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise WeightsError(f"{path}: weights do not fit model {card.name!r} ({exc})") from exc
    return model
