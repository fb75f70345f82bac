"""A local pool whose worker dies: the pool is replaced, what it lost runs once more, and a
request whose worker dies twice is `sandbox_error`, never the sample's verdict."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.engine import sandbox
from perfjudge.executors import CheckRequest, LocalPoolExecutor

pytestmark = [pytest.mark.xdist_group("heavy"), pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.probe().bwrap is None or not sandbox.probe().cgroups,
    reason="needs root, bubblewrap and a writable cgroup")]

TASK = get_benchmark("builtin").load()[0]


def _workers(executor: LocalPoolExecutor) -> list[int]:
    return list(getattr(executor._pool, "_processes", None) or {})


def _check_in_thread(executor, request):
    out: dict = {}
    thread = threading.Thread(target=lambda: out.update(
        result=next(iter(executor.check([request])))[1]))
    thread.start()
    return thread, out


def _kill_workers(executor) -> int:
    killed = 0
    for pid in _workers(executor):
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            pass
    return killed


def test_a_worker_killed_once_costs_a_rerun_not_a_result(tmp_path):
    request = CheckRequest(TASK, TASK.canonical.code, "valgrind", tag="a")
    with LocalPoolExecutor(1, store=tmp_path / "s.db") as executor:
        thread, out = _check_in_thread(executor, request)
        deadline = time.monotonic() + 60
        while not _workers(executor):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)  # inside the (seconds-long) valgrind check
        assert _kill_workers(executor) == 1
        thread.join(300)
        assert out["result"].verdict == "passed", out["result"].detail
        assert out["result"].total_cost and executor.replaced == 1


def test_a_request_whose_worker_dies_twice_is_a_sandbox_error(tmp_path):
    request = CheckRequest(TASK, TASK.canonical.code, "valgrind", tag="a")
    with LocalPoolExecutor(1, store=tmp_path / "s.db") as executor:
        thread, out = _check_in_thread(executor, request)
        while thread.is_alive():
            _kill_workers(executor)
            time.sleep(0.2)
        result = out["result"]
        assert result.verdict == "sandbox_error"
        assert "worker failed" in result.detail and "died twice" in result.detail
        again = next(iter(executor.check([CheckRequest(TASK, TASK.canonical.code, tag="b")])))
        assert again[1].verdict == "passed"


def test_workers_spawned_from_a_thread_outlive_it_but_not_the_parent_process(tmp_path):
    """A pool whose workers were spawned by a thread that has ended (evaluate's background
    readiness check; a service request) keeps them; a parent killed with SIGKILL takes
    them along (they watch the parent process, not the thread that spawned them)."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import os, sys, threading, time\n"
        "from perfjudge.executors import LocalPoolExecutor\n"
        "from perfjudge.executors.local import _warm_up\n"
        "if __name__ == '__main__':\n"
        "    executor = LocalPoolExecutor(2, store=sys.argv[1])\n"
        "    t = threading.Thread(target=lambda: [executor._submit(_warm_up).result()\n"
        "                                         for _ in range(2)])\n"
        "    t.start(); t.join(); time.sleep(1.0)\n"
        "    print(' '.join(map(str, executor._pool._processes)), flush=True)\n"
        "    print(executor._submit(os.getpid).result(), flush=True)\n"
        "    time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "s.db")],
                            stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) >= 1 and int(proc.stdout.readline()) in pids  # still serving
        proc.kill()
        proc.wait(10)
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in pids if _alive(pid)]
    finally:
        proc.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_worker_of_the_perfjudge_script_imports_the_engine_only(tmp_path):
    """A spawned worker imports the parent's main script again: for the ``perfjudge``
    script that was the whole CLI (typer, rich, numpy: 0.3 s of CPU per worker as a run
    starts). The script imports `perfjudge.cli.main`, which loads the commands only when
    called."""
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert 'perfjudge = "perfjudge.cli:main"' in pyproject
    script = tmp_path / "perfjudge"
    script.write_text(  # what pip writes for that entry point
        "import sys\n"
        "from perfjudge.cli import main\n"
        "def modules():\n"
        "    import sys\n"
        "    return sorted({m.split('.')[0] for m in sys.modules})\n"
        "if __name__ == '__main__':\n"
        "    from perfjudge.executors import LocalPoolExecutor\n"
        "    with LocalPoolExecutor(1, store=sys.argv[1]) as executor:\n"
        "        print(' '.join(executor._submit(modules).result()))\n")
    out = subprocess.run([sys.executable, str(script), str(tmp_path / "s.db")],
                         capture_output=True, text=True, timeout=120)
    loaded = set(out.stdout.split())
    assert "perfjudge" in loaded, out.stderr[-2000:]
    assert not loaded & {"typer", "rich", "numpy", "scipy", "click"}
