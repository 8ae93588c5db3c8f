"""Timing helpers shared by the speed jobs: thread counts, wall-clock timing, machine load,
and what to record about the machine and the threading variables."""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

#: Environment variables that change threading behaviour; recorded with the results.
THREAD_ENV = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GOMP_SPINCOUNT")


def thread_env() -> dict[str, str]:
    """The threading variables set in this process's environment."""
    return {k: os.environ[k] for k in THREAD_ENV if os.environ.get(k)}


def set_threads(n: int) -> None:
    """Use ``n`` threads in torch and (when installed) SimpleITK, which TorchIO resamples with."""
    torch.set_num_threads(n)
    try:
        import SimpleITK as sitk

        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(n)
    except ImportError:  # pragma: no cover - SimpleITK comes with TorchIO
        pass


def time_calls(fn: Callable[[], Any], *, repeats: int, warmup: int, device: str = "cpu") -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed calls."""
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(warmup):
        fn()
    sync()
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync()
        out.append(time.perf_counter() - t)
    return out


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):  # pragma: no cover - not on every platform
        return None


def summary(times: list[float]) -> dict[str, Any]:
    return {"median_s": statistics.median(times), "min_s": min(times),
            "times_s": [round(t, 5) for t in times]}


def versions(tools: Sequence[str]) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for t in tools:
        try:
            out[t] = version(t)
        except PackageNotFoundError:
            out[t] = "source"
    return out


def machine(device: str = "cpu") -> dict[str, Any]:
    """What a measurement ran on: cores, platform, torch, device."""
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "torch": torch.__version__,
            "device": device,
            "cuda_device": torch.cuda.get_device_name() if device.startswith("cuda") else None}


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


#: a small process between the caller and the measured command: on Linux a process's
#: ``ru_maxrss`` includes the memory of the process it was forked from, so the command is forked
#: from this bare interpreter (a few MB), not from the caller (hundreds of MB with torch)
_WRAPPER = """import json, os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump([ru.ru_maxrss, ru.ru_utime + ru.ru_stime], f)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(cmd: Sequence[str], *, env: dict[str, str] | None = None,
                 timeout: float | None = None) -> dict[str, Any]:
    """Run ``cmd`` in a new process and measure it: wall seconds, CPU seconds (user + system)
    and peak resident memory (``ru_maxrss`` of that process, from ``wait4``), with the load
    average before and after; stdout and stderr are captured.  A process that outlives
    ``timeout`` is killed (with its process group) and reported with ``timed_out``."""
    import json
    import signal
    import subprocess
    import sys
    import tempfile

    load = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        usage = Path(tmp) / "rusage.json"
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-S", "-c", _WRAPPER, str(usage), *cmd],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            timed_out = True
        wall = time.perf_counter() - t
        maxrss_kb, cpu = json.loads(usage.read_text()) if usage.exists() else (0, 0.0)
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "peak_rss_mb": round(maxrss_kb / 1024, 1),
            "returncode": proc.returncode, "timed_out": timed_out, "load_before": load,
            "load_after": load_average(), "stdout": out.decode(errors="replace"),
            "stderr": err.decode(errors="replace")}
