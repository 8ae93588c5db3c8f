"""Limits checked before work starts: numbers that must be finite and positive, and memory or
disk estimates against what the machine has.  Each check raises ``ValueError`` (or the
``error`` class given) with one line saying what was asked, what it needs and what is valid.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

GIB = 1024**3


def fmt_bytes(n: float) -> str:
    """``n`` bytes as a short human-readable size (``1.5 GiB``)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def positive_finite(value: float, name: str, *, error: type[Exception] = ValueError) -> float:
    """``value`` as a float if finite and > 0, else raise ``error`` naming ``name``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise error(f"{name} {value!r}: not a number; valid: a finite number > 0") from None
    if not math.isfinite(v) or v <= 0:
        raise error(f"{name} {value!r}: must be finite and > 0")
    return v


def available_memory() -> int:
    """Bytes of memory available to a new allocation (``MemAvailable``, else physical RAM)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 * GIB


def check_memory(need: float, what: str, *, hint: str = "", error: type[Exception] = ValueError,
                 available: int | None = None) -> None:
    """Raise ``error`` if ``need`` bytes exceed the available memory (estimated up front)."""
    have = available_memory() if available is None else available
    if need > have:
        raise error(f"{what} needs about {fmt_bytes(need)} of memory; {fmt_bytes(have)} available"
                    + (f"; {hint}" if hint else ""))


def free_disk(path: str | Path) -> int:
    """Free bytes on the file system that holds ``path`` (or its nearest existing parent)."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return shutil.disk_usage(p).free


def check_disk(need: float, path: str | Path, what: str, *, hint: str = "",
               error: type[Exception] = ValueError) -> None:
    """Raise ``error`` if ``need`` bytes exceed the free space where ``path`` will be written."""
    have = free_disk(path)
    if need > have:
        raise error(f"{what} needs about {fmt_bytes(need)} on disk; {fmt_bytes(have)} free under "
                    f"{path}" + (f"; {hint}" if hint else ""))
