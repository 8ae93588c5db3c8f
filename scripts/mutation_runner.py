"""Fork server that runs pytest for mutmut without paying the imports once per mutant.

mutmut 2.5 starts its ``--runner`` command once per mutant.  Most of that time is spent
importing torch, SciPy, Dask, pandas and pytest, none of which mutmut changes.  ``serve``
imports those third-party packages once, then forks a child per request; the child imports
``synthzoo`` (the mutated file included) and the tests afresh and runs ``pytest.main``.  The
server never imports ``synthzoo``, so every mutant is tested against the file on disk.

    python scripts/mutation_runner.py serve SOCKET LOG &     # started by scripts/mutation.sh
    python scripts/mutation_runner.py run SOCKET PYTEST_ARGS...   # mutmut's --runner

Every run appends ``STATUS<TAB>NODEID`` to ``runs.tsv`` beside ``LOG``: pytest's status and the
first test (or test file, for a collection error) that failed, empty when none did (or when
the child was killed: a negative status).  With the
older tests of a module listed first in its selection, this says which mutants the older tests
kill on their own (``-x`` stops at the first failure), so one run gives the score before and
after new tests.

``run`` exits with pytest's status, except that a run that errors (pytest status 2, 3 or 4:
collection or import errors, e.g. a mutant that breaks the module at import) exits 1, which
mutmut counts as killed (it counts only status 1 as a failure).  Status 5 (no tests
collected) is passed through, and mutmut counts it as survived.  If mutmut kills ``run``
(its timeout), the server kills the child.
"""

from __future__ import annotations

import json
import os
import socket
import sys

PRELOAD = ("numpy", "scipy", "scipy.ndimage", "scipy.spatial", "scipy.special", "dask", "dask.array",
           "zarr", "pandas", "torch", "torch.nn", "torch.nn.functional", "safetensors.torch", "nibabel",
           "pooch", "requests", "platformdirs", "typer", "click", "rich", "PIL.Image", "tifffile",
           "hypothesis", "pytest", "_pytest.assertion.rewrite", "_pytest.python", "_pytest.runner",
           "_pytest.tmpdir", "_pytest.monkeypatch", "_pytest.capture", "_pytest.fixtures")


class _FirstFailure:
    """pytest plugin: the node id of the first test (or collector) that failed."""

    nodeid = ""

    def pytest_runtest_logreport(self, report):
        if report.failed and not self.nodeid:
            self.nodeid = report.nodeid

    pytest_collectreport = pytest_runtest_logreport


def serve(path: str, log: str) -> None:
    import importlib
    import select
    import signal

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    runs = os.path.join(os.path.dirname(log), "runs.tsv")
    leaked = sorted(m for m in sys.modules if m == "synthzoo" or m.startswith("synthzoo."))
    if leaked:
        raise SystemExit(f"preloading imported {leaked}; the server must never hold synthzoo")
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        while True:
            conn, _ = srv.accept()
            with conn:
                req = json.loads(conn.makefile("r").readline())
                pid = os.fork()
                if pid == 0:
                    srv.close()
                    conn.close()
                    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    os.dup2(fd, 1)
                    os.dup2(fd, 2)
                    os.chdir(req["cwd"])
                    os.environ.update(req["env"])
                    code, first = 1, _FirstFailure()
                    try:
                        import pytest

                        code = int(pytest.main(req["args"], plugins=[first]))
                    finally:
                        sys.stdout.flush()
                        sys.stderr.flush()
                        with open(runs, "a") as f:
                            f.write(f"{code}\t{first.nodeid}\n")
                        os._exit(code)
                status = None
                while status is None:
                    ready, _, _ = select.select([conn], [], [], 0.05)
                    if ready and not conn.recv(1):  # the client went away (mutmut's timeout)
                        os.kill(pid, signal.SIGKILL)
                    done, st = os.waitpid(pid, os.WNOHANG)
                    if done:
                        status = os.waitstatus_to_exitcode(st)
                if status < 0:  # killed (a timeout, a crash): the child wrote no line
                    with open(runs, "a") as f:
                        f.write(f"{status}\t\n")
                try:
                    conn.sendall(f"{status}\n".encode())
                except OSError:
                    pass
    finally:
        srv.close()
        if os.path.exists(path):
            os.unlink(path)


def run(path: str, args: list[str]) -> int:
    env = {k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "OMP_NUM_THREADS", "SYNTHZOO_MIRROR")}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.sendall((json.dumps({"args": args, "cwd": os.getcwd(), "env": env}) + "\n").encode())
        status = int(s.makefile("r").readline())
    return 1 if status in (2, 3, 4) or status < 0 else status


if __name__ == "__main__":
    cmd, sock, *rest = sys.argv[1:]
    if cmd == "serve":
        serve(sock, rest[0])
    else:
        sys.exit(run(sock, rest))
