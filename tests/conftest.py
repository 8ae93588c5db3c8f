import pytest
import torch


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving ``tmp_path / 'www'``; yields (folder, base URL).
    Downloads are tested against it (weights, anatomy), never against the internet."""
    import functools
    import http.server
    import threading

    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _refused(r, *needles):
    """A CLI result that was refused: exit 2 and one line ``error: ...`` holding every needle."""
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.output
    for n in needles:
        assert n in lines[0], r.output
    return lines[0]


@pytest.fixture
def refused():
    """``refused(result, *needles)``: assert a CLI run was refused with one clear line."""
    return _refused


@pytest.fixture
def gen0():
    return torch.Generator().manual_seed(0)


@pytest.fixture(scope="session")
def pip_install_target():
    """``install(target, *packages)``: pip-install plugin source folders into ``target`` (no
    network, no deps, no build isolation), for a fresh interpreter to put on ``sys.path``."""
    import subprocess
    import sys

    pytest.importorskip("setuptools", minversion="70.1",
                        reason="building a plugin needs setuptools>=70.1 (the 'test' extra)")

    def install(target, *packages):
        r = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
             "--no-index", "--disable-pip-version-check", "--target", str(target),
             *map(str, packages)],
            capture_output=True, text=True, timeout=300,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        return target

    return install
