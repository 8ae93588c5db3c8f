"""Resolving, verifying and caching pretrained weights (safetensors only, never pickle).

Resolution order for a card: (1) the local cache (a copy that fails verification is reported
and removed), (2) a copy bundled with the package in ``synthzoo/zoo/weights/``, (3) mirror
folders and the card's URLs through the project's one verified downloader
(:func:`synthzoo._fetch.fetch_file`: pooch, retries, sha256 checked before the file is renamed
into place, so a failed or tampered download leaves nothing behind).  The cache folder is
``$SYNTHZOO_CACHE`` if set, else ``platformdirs.user_cache_dir("synthzoo")``, with weights
under ``weights/``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from torch import nn

from synthzoo._fetch import FetchError, fetch_file, sha256_file, verified  # noqa: F401  (sha256_file re-exported)
from synthzoo._fetch import CacheWarning, cache_root
from synthzoo.zoo.card import WeightCard

BUNDLED = Path(__file__).parent / "weights"


class WeightsError(RuntimeError):
    """Weights that cannot be found, downloaded or verified; the message says which and why."""


def cache_dir() -> Path:
    return cache_root() / "weights"


def _file_name(card: WeightCard) -> str:
    return card.weights_file or f"{card.name}.safetensors"


def cache_path(card: WeightCard) -> Path:
    """Where ``card``'s weights live in the cache (named by name and hash)."""
    stem = _file_name(card).removesuffix(".safetensors")
    return cache_dir() / f"{stem}-{card.sha256[:16]}.safetensors"


def locate(card: WeightCard, *, folder: Path | None = None) -> str | None:
    """The local file the weights resolve to without downloading (``None`` if none);
    ``folder``: where a package ships them (default: synthzoo's bundled weights)."""
    for path in (cache_path(card), Path(folder or BUNDLED) / _file_name(card)):
        if verified(path, card.sha256):
            return str(path)
    return None


def fetch(card: WeightCard, *, offline: bool = False, retries: int = 3,
          folder: Path | None = None) -> Path:
    """Path of verified weights for ``card``: cache, then the copy shipped in ``folder``
    (default: synthzoo's bundled weights; a plugin's own folder for its models), then mirrors
    and URLs (:func:`synthzoo._fetch.fetch_file`)."""
    if not card.sha256:
        raise WeightsError(f"model {card.name!r}: its card has no sha256, so weights cannot be verified")
    cached = cache_path(card)
    if cached.is_file():
        if verified(cached, card.sha256):
            return cached
        warnings.warn(f"{cached}: cached weights of {card.name!r} do not match the card's sha256; "
                      "removed, resolving again", CacheWarning, stacklevel=2)
        cached.unlink()
    bundled = Path(folder or BUNDLED) / _file_name(card)
    if bundled.is_file():
        if verified(bundled, card.sha256):
            return bundled
        raise WeightsError(f"{bundled}: bundled weights of {card.name!r} do not match the card's "
                           f"sha256 {card.sha256}; reinstall the package that ships it")
    try:
        return fetch_file(_file_name(card), card.sha256, collection="weights",
                          cache_name=cached.name, urls=card.urls, offline=offline, retries=retries)
    except FetchError as exc:
        raise WeightsError(f"model {card.name!r}: {exc}") from None


def load_weights(model: nn.Module, card: WeightCard, *, offline: bool = False,
                 folder: Path | None = None) -> nn.Module:
    """Load ``card``'s verified safetensors into ``model`` (strict)."""
    from safetensors.torch import load_file

    path = fetch(card, offline=offline, folder=folder)
    state = load_file(str(path))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise WeightsError(f"{path}: weights do not fit model {card.name!r} ({exc})") from exc
    return model
