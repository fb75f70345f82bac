"""Hostile samples against the real sandbox: every program in ``tests/engine/hostile/`` gets its exact
verdict, and after each one the host is checked: no process of the sandbox uid or in one of our
cgroups is left, no run directory is left, host files are unchanged, and an honest sample still
passes. A batch mixing hostile and honest samples runs in parallel (processes and threads).

No mocks: real bubblewrap, real cgroups, real uid drop. Each hostile file starts with a header:
``# attacks:`` (what it tries), ``# expected:`` (the verdict) and optionally ``# limits:``
(``Limits`` fields for that run). Placeholders such as ``__CANARY__`` are filled in here.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import re
import secrets
import select
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from hostcheck import SENTINEL_MARK, assert_host_clean, sandbox_processes

from perfjudge.engine import sandbox
from perfjudge.engine.judge import Engine, check_solution
from perfjudge.engine.sandbox import Limits
from perfjudge.records.task import Reference, Task
from perfjudge.records.task import TestCase as Case
from perfjudge.store import Store

HOSTILE_DIR = Path(__file__).parent / "hostile"
HOSTILE = sorted(p.stem for p in HOSTILE_DIR.glob("*.py"))
SANDBOX_UID = sandbox.SANDBOX_UID
SECRET_VALUE = "pj-aws-secret-" + secrets.token_hex(8)

REFERENCE = "def f(a, b):\n    return a + b\n"
HONEST = "def f(a, b):\n    total = a\n    total += b\n    return total\n"
ADD = Task("hostile", "hostile/add", "", "function", "f",
           tests=(Case([1, 2]), Case([3, 4]), Case([10, -3])),
           performance_tests=(Case([5, 6]),),
           references=(Reference("ref", REFERENCE),))
# Small limits, so hanging or hoarding samples end fast.
BASE_LIMITS = dict(test_seconds=2.0, wall_seconds=60.0, memory_bytes=256 << 20,
                   max_processes=32, max_output_bytes=1 << 20)
METERED = {"patched_timers": "cpu_time", "hidden_child_work": "cpu_time"}

pytestmark = [pytest.mark.usefixtures("sandbox_path"), pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.probe().bwrap is None or not sandbox.probe().cgroups,
    reason="the hostile suite needs root, bubblewrap and a writable cgroup")]


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def engine(run_tmp, tmp_path_factory):
    return Engine(limits=Limits(**BASE_LIMITS),
                  cache=Store(tmp_path_factory.mktemp("derived") / "derived.db"))


@pytest.fixture
def canary():
    """A host dir (0777) holding a world-writable canary (0666) and a root-only secret (0600):
    without a mount namespace the sandbox uid could overwrite or delete the canary, so only
    the sandbox protects them."""
    root = Path("/tmp") / f"pj-canary-{secrets.token_hex(6)}"
    root.mkdir()
    root.chmod(0o777)
    file = root / "canary.txt"
    file.write_text("original canary content\n")
    file.chmod(0o666)
    secret = root / "secret.txt"
    secret.write_text(SECRET_VALUE + "\n")
    secret.chmod(0o600)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


@pytest.fixture
def sentinel():
    """A host process of the sandbox uid: kill(-1, SIGKILL) from a sandbox without its own pid
    namespace would kill it."""
    proc = subprocess.Popen(["sleep", "300"], preexec_fn=sandbox._drop_privileges,
                            env={"PATH": "/usr/bin:/bin", SENTINEL_MARK: "1"})
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def host_baseline(run_tmp):
    """Processes that already exist (e.g. other sessions' sandboxes) are not ours to judge."""
    return set(sandbox_processes())


# ----------------------------------------------------------------------------- helpers


def hostile_source(name: str, canary: Path | None = None, port: int = 1,
                   marker: str = "pj-marker") -> str:
    code = (HOSTILE_DIR / f"{name}.py").read_text()
    canary = canary or Path("/tmp/pj-canary-none")
    return (code.replace("__CANARY_DIR__", str(canary))
            .replace("__CANARY__", str(canary / "canary.txt"))
            .replace("__SECRET_FILE__", str(canary / "secret.txt"))
            .replace("__PORT__", str(port))
            .replace("__MARKER__", marker))


def header(name: str) -> tuple[str, dict]:
    code = (HOSTILE_DIR / f"{name}.py").read_text()
    expected = re.search(r"^# expected: (\w+)$", code, re.M)
    assert expected, f"{name}.py has no '# expected:' header"
    assert re.search(r"^# attacks: ", code, re.M), f"{name}.py has no '# attacks:' header"
    limits = dict(BASE_LIMITS)
    found = re.search(r"^# limits: (.+)$", code, re.M)
    if found:
        for item in found.group(1).split():
            key, value = item.split("=")
            limits[key] = type(limits.get(key, 0))(float(value)) if key in limits else int(value)
    return expected.group(1), limits


def assert_harness_alive(engine: Engine) -> None:
    result = check_solution(ADD, HONEST, engine=engine)
    assert result.verdict == "passed", (result.verdict, result.detail)


def run_hostile(name: str, engine: Engine, canary: Path | None = None, port: int = 1,
                marker: str = "pj-marker", meter: str | None = None):
    expected, limits = header(name)
    code = hostile_source(name, canary, port, marker)
    result = check_solution(ADD, code, engine=engine, meter=meter, limits=Limits(**limits))
    assert result.verdict == expected, (name, result.verdict, result.detail)
    return result


# ----------------------------------------------------------------------------- the suite


def test_isolation_report_is_complete():
    caps = sandbox.probe()
    assert caps.missing == ()
    assert all(caps.layers().values()), caps.layers()


def test_suite_is_big_enough():
    assert len(HOSTILE) >= 22
    for name in HOSTILE:
        header(name)


# Samples whose only extra check is the common one (exact verdict + host clean + harness alive).
PLAIN = [n for n in HOSTILE if n not in {
    "write_outside", "delete_host_file", "tcp_connect", "env_secrets", "read_secrets",
    "kill_parent", "daemon", "patched_timers", "hidden_child_work", "output_flood",
    "returns_custom_class"}]


@pytest.mark.parametrize("name", PLAIN)
def test_hostile_verdict(name, engine, run_tmp, host_baseline):
    run_hostile(name, engine)
    assert_host_clean(host_baseline, run_tmp)
    assert_harness_alive(engine)


def test_returns_object_with_reduce_payload(engine, run_tmp, host_baseline):
    marker = Path("/tmp/pwned-by-perfjudge-sample")
    marker.unlink(missing_ok=True)
    result = run_hostile("returns_custom_class", engine)
    assert "not plain data" in result.detail
    assert not marker.exists()  # nothing unpickled the payload, in the sandbox or here
    assert_host_clean(host_baseline, run_tmp)
    assert_harness_alive(engine)


def test_output_flood_is_capped(engine, run_tmp, host_baseline):
    result = run_hostile("output_flood", engine)
    assert len(result.stdout_tail) <= 2000
    assert_host_clean(host_baseline, run_tmp)
    assert_harness_alive(engine)


def test_writes_outside_the_work_dir_do_not_reach_the_host(engine, run_tmp, host_baseline,
                                                           canary):
    marker = f"pj-marker-{secrets.token_hex(6)}"
    before = (canary / "canary.txt").read_bytes()
    run_hostile("write_outside", engine, canary=canary, marker=marker)
    assert (canary / "canary.txt").read_bytes() == before
    assert sorted(p.name for p in canary.iterdir()) == ["canary.txt", "secret.txt"]
    assert not (Path("/tmp") / marker).exists()
    assert not (Path("/usr") / marker).exists()
    assert_host_clean(host_baseline, run_tmp)
    assert_harness_alive(engine)


def test_deleting_a_host_file_fails(engine, run_tmp, host_baseline, canary):
    run_hostile("delete_host_file", engine, canary=canary)
    assert (canary / "canary.txt").read_text() == "original canary content\n"
    assert_host_clean(host_baseline, run_tmp)
    assert_harness_alive(engine)


def test_no_network(engine, run_tmp, host_baseline, listener):
    port = listener.getsockname()[1]
    run_hostile("tcp_connect", engine, port=port)
    readable, _, _ = select.select([listener], [], [], 0.2)
    assert not readable, "the listener received a connection from the sandbox"
    assert_host_clean(host_baseline, run_tmp)
    assert_harness_alive(engine)


def test_environment_secrets_do_not_leak(engine, run_tmp, host_baseline, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_VALUE)
    result = run_hostile("env_secrets", engine)
    seen = result.failure.output_repr
    assert "PATH" in seen  # the sample did return its environment
    assert "AWS_SECRET_ACCESS_KEY" not in seen and SECRET_VALUE not in seen
    assert_host_clean(host_baseline, run_tmp)
    assert_harness_alive(engine)


def test_reading_host_secrets_fails(engine, run_tmp, host_baseline, canary):
    # "passed" means every read failed: a successful read returns the loot instead.
    run_hostile("read_secrets", engine, canary=canary)
    assert_host_clean(host_baseline, run_tmp)
    assert_harness_alive(engine)


def test_killing_the_parent_fails(engine, run_tmp, host_baseline, sentinel):
    run_hostile("kill_parent", engine)
    time.sleep(0.1)
    assert sentinel.poll() is None, "kill(-1) reached a host process of the sandbox uid"
    assert_host_clean(host_baseline, run_tmp, exclude=(sentinel.pid,))
    assert_harness_alive(engine)


def test_daemon_does_not_outlive_the_run(engine, run_tmp, host_baseline, canary):
    run_hostile("daemon", engine, canary=canary)
    assert_host_clean(host_baseline, run_tmp)
    time.sleep(2.0)  # the daemon would write after 1.5 s
    assert not (canary / "daemon-was-here").exists()
    assert sorted(p.name for p in canary.iterdir()) == ["canary.txt", "secret.txt"]
    assert_host_clean(host_baseline, run_tmp)
    assert_harness_alive(engine)


def test_patched_timers_do_not_fool_the_cpu_meter(engine, run_tmp, host_baseline):
    honest = check_solution(ADD, HONEST, engine=engine, meter="cpu_time")
    assert honest.verdict == "passed"
    result = run_hostile("patched_timers", engine, meter="cpu_time")
    # ~1.5 M loop iterations per call: tens of ms of CPU, against microseconds for the
    # trivial solution. The sample's own clocks all read 0.
    assert result.total_cost > 0.005
    assert result.total_cost > 20 * honest.total_cost
    assert_host_clean(host_baseline, run_tmp)


@pytest.mark.parametrize("meter", ["cpu_time", "valgrind"])
def test_work_hidden_in_a_child_is_refused_while_measured(engine, run_tmp, host_baseline,
                                                           meter):
    """Correctness runs may fork (the sample passes them); a measured call may not, with
    every meter alike, because valgrind would not count the child's work."""
    result = run_hostile("hidden_child_work", engine, meter=meter)
    assert result.failure.phase == "performance"
    assert "PermissionError" in result.detail and "not allowed while a call is measured" \
        in result.detail
    assert_host_clean(host_baseline, run_tmp)


# ----------------------------------------------------------------------------- batches

BATCH_HOSTILE = ["os_exit", "lying_int_subclass", "forged_result_fd", "fork_bomb",
                 "memory_bomb", "output_flood", "swallow_everything", "daemon", "kill_parent"]


def _batch_item(item: tuple[str, str, dict, str]) -> tuple[int, str, str]:
    """Runs in a pool worker: returns (worker pid, name, verdict)."""
    name, code, limits, cache = item
    engine = Engine(limits=Limits(**limits), cache=Store(Path(cache) / "derived.db"))
    result = check_solution(ADD, code, engine=engine, limits=Limits(**limits))
    return os.getpid(), name, result.verdict


def _batch(tmp_path: Path) -> tuple[list, dict[str, str]]:
    items, expected = [], {}
    for i, name in enumerate(BATCH_HOSTILE):
        verdict, limits = header(name)
        items.append((name, hostile_source(name), limits, str(tmp_path)))
        expected[name] = verdict
        honest = f"honest-{i}"
        items.append((honest, HONEST, dict(BASE_LIMITS), str(tmp_path)))
        expected[honest] = "passed"
    return items, expected


@pytest.mark.parametrize("pool", ["processes", "threads"])
def test_mixed_batch_in_parallel(pool, run_tmp, host_baseline, tmp_path):
    items, expected = _batch(tmp_path)
    executor = (concurrent.futures.ProcessPoolExecutor(max_workers=2) if pool == "processes"
                else concurrent.futures.ThreadPoolExecutor(max_workers=3))
    with executor:
        results = list(executor.map(_batch_item, items))
    verdicts = {name: verdict for _, name, verdict in results}
    assert verdicts == expected
    owners = {pid for pid, _, _ in results} | {os.getpid()}
    assert_host_clean(host_baseline, run_tmp, owners=owners)



def test_memoization_across_calls_is_measured(engine, run_tmp, host_baseline):
    """Warm-up runs on another input and every measured call runs in a fresh fork of the
    warmed-up harness, so a cache filled by one call cannot make the next one free."""
    task = dataclasses.replace(ADD, performance_tests=(Case([300, 300]),))
    honest = hostile_source("memoize_across_calls").replace(
        "    if key not in _answers:\n", "    if True:\n")  # the same code, never reusing
    honest_cost = check_solution(task, honest, engine=engine, meter="cpu_time")
    memo_cost = check_solution(task, hostile_source("memoize_across_calls"), engine=engine,
                               meter="cpu_time")
    assert honest_cost.verdict == memo_cost.verdict == "passed"
    assert memo_cost.total_cost > honest_cost.total_cost / 3
