"""Runs over cases with Dask: local worker processes and a separately started cluster give the
same records as a serial run (every field but the timings)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthzoo.benchmarks import records as rec
from synthzoo.benchmarks.runner import run

pytest.importorskip("distributed")

MODELS, SETS = ["multi-otsu", "kmeans"], ["fluorescence-nuclei"]


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """A serial quick run (the reference) and its test-set root."""
    tmp = tmp_path_factory.mktemp("serial")
    root = tmp / "testsets"
    s = run(MODELS, SETS, root, tmp / "bench", suite="quick", progress=False)
    assert s["new"] == s["runs"] == 6 and s["workers"] == 1
    return root, rec.read(tmp / "bench" / "records.jsonl")


def _env():
    src = str(Path(__file__).resolve().parents[2] / "src")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
            "OMP_NUM_THREADS": "1"}


def test_local_cluster_records_equal_a_serial_run(serial, tmp_path):
    root, ref = serial
    t = time.perf_counter()
    s = run(MODELS, SETS, root, tmp_path / "bench", suite="quick", progress=False, workers=2)
    assert (s["new"], s["workers"]) == (6, 2), s
    got = rec.read(tmp_path / "bench" / "records.jsonl")
    assert rec.without_timing(got) == rec.without_timing(ref)  # same rows, same order
    assert len(list((tmp_path / "bench" / "done").glob("*.done"))) == 6
    again = run(MODELS, SETS, root, tmp_path / "bench", suite="quick", progress=False, workers=2)
    assert (again["new"], again["skipped"]) == (0, 6)
    print(f"LocalCluster run: {time.perf_counter() - t:.1f} s")


def test_scheduler_and_two_worker_processes_give_the_records_of_a_serial_run(serial, tmp_path):
    root, ref = serial
    env, procs = _env(), []
    sched_file = tmp_path / "scheduler.json"
    t = time.perf_counter()
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(sched_file)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        while not sched_file.exists() or not sched_file.read_text().strip():
            assert time.perf_counter() - t < 30 and procs[0].poll() is None, "scheduler did not start"
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for i in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                 "--nworkers", "1", "--no-dashboard", "--name", f"w{i}", "--host", "127.0.0.1"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        s = run(MODELS, SETS, root, tmp_path / "bench", suite="quick", progress=False, scheduler=address)
        assert (s["new"], s["workers"], s["scheduler"]) == (6, 2, address), s
        got = rec.read(tmp_path / "bench" / "records.jsonl")
        assert rec.without_timing(got) == rec.without_timing(ref)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    print(f"scheduler + 2 workers run: {time.perf_counter() - t:.1f} s")


def test_bad_scheduler_address_is_one_line(tmp_path, serial, monkeypatch):
    import synthzoo.benchmarks.runner as runner
    from synthzoo.benchmarks.runner import BenchmarkError

    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", "1s")
    root, _ = serial
    with pytest.raises(BenchmarkError, match="cannot connect to the Dask scheduler at tcp://127.0.0.1:9"):
        run(MODELS, SETS, root, tmp_path / "bench", suite="quick", progress=False, scheduler="tcp://127.0.0.1:9")
