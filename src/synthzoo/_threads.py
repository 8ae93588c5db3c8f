"""Threading defaults that the ``synthzoo`` command line sets for itself.

torch's OpenMP threads spin while they wait for each other; on a busy machine a spinning
thread takes the core from the one it waits for, and 2 threads ran many times slower than 1
(``docs/speed.md``).  ``OMP_WAIT_POLICY=PASSIVE`` makes waiting threads sleep.  OpenMP reads
it once, when the runtime loads (with torch), so the CLI entry (:mod:`synthzoo.cli`) calls
:func:`configure_env` before anything imports torch.  A value already in the environment is
kept.  Python callers who want the same set the variable before ``import torch``.
"""

from __future__ import annotations

import os
from typing import MutableMapping

#: variables the CLI sets when they are not set already
DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE"}
#: what :func:`configure_env` set in this process (not what the user set)
SET_BY_SYNTHZOO: dict[str, str] = {}


def configure_env(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set each of :data:`DEFAULTS` that ``environ`` (default ``os.environ``) lacks; returns
    what was set."""
    env = os.environ if environ is None else environ
    for key, value in DEFAULTS.items():
        if not env.get(key):
            env[key] = value
            if environ is None:
                SET_BY_SYNTHZOO[key] = value
    return dict(SET_BY_SYNTHZOO)
