"""Warm slots (`engine.slots`, `runner.Slot`): the same verdicts and counts as a fresh sandbox
per job, and nothing one job leaves reaches the next job in the same slot.

The hostile and cost-integrity suites already run on both paths (`sandbox_path`); here are
the attacks that only a reused sandbox invites (a daemon, a file, a changed environment or
library path, a forged valgrind record, a signal at the slot's own processes) and real
tasks judged both ways. Real bubblewrap, cgroups and valgrind; no fakes.
"""

from __future__ import annotations

import dataclasses
import marshal
import os
import shutil

import pytest

from perfjudge.benchmarks import enamel, evalplus
from perfjudge.engine import runner, sandbox, slots, wire
from perfjudge.engine.judge import Engine, check_solution
from perfjudge.engine.sandbox import Limits
from perfjudge.store import Store

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.probe().bwrap is None or not sandbox.probe().cgroups,
    reason="warm slots need root, bubblewrap and a writable cgroup")

LIMITS = Limits(test_seconds=5.0, wall_seconds=120.0, memory_bytes=512 << 20, max_processes=32)
VALGRIND = shutil.which("valgrind") is not None


@pytest.fixture(autouse=True)
def fresh_pool(run_tmp, monkeypatch):
    """Each test starts without slots and leaves none."""
    monkeypatch.setenv("PERFJUDGE_WARM", "1")
    slots.POOL.close_all()
    yield
    slots.POOL.close_all()


def run_function(code: str, args: list, *, warm: bool = True) -> object:
    """The value ``f(*args)`` returned in a run-mode job."""
    job = {"mode": "function", "code": code, "entry_point": "f",
           "inputs": [marshal.dumps(args, 2)]}
    run = runner.run_harness(job, limits=LIMITS, warm=warm)
    assert run.status == "ok", (run.status, run.detail, run.stderr)
    outs = run.of("out")
    assert len(outs) == 1 and outs[0]["plain"], run.events
    return wire.loads(outs[0]["value"])


def measure(code: str, args: list, *, warm: bool, rounds: int = 2) -> list[int]:
    """valgrind counts of baseline and sample calls, alternating."""
    calls = [(kind, 0, r) for r in range(rounds) for kind in ("null", "sample")]
    job = {"mode": "measure", "kind": "function", "code": code, "entry_point": "f",
           "inputs": [marshal.dumps(args, 2)], "calls": calls}
    run = runner.run_harness(job, limits=LIMITS.scaled(60), valgrind=True, warm=warm)
    assert run.status == "ok", (run.status, run.detail)
    assert all(c.exit_code == 0 and not c.record_error for c in run.calls), run.calls
    return [c.instructions for c in run.calls]


def only_slot() -> runner.Slot:
    kept = list(slots.POOL)
    assert len(kept) == 1, kept
    return kept[0]


SORT = "def f(n):\n    return sorted(range(n, 0, -1))\n"

LOOK_AROUND = '''
import os


def f(names):
    """What this job can see of earlier ones: processes, files, environment, libraries."""
    others = sorted(int(p) for p in os.listdir("/proc") if p.isdigit()
                    and int(p) not in (1, os.getpid(), os.getppid()))
    left = [n for n in names if os.path.lexists(n)]
    env = sorted(k for k in os.environ if k not in ("PATH", "HOME", "LANG", "PYTHONHASHSEED",
                                                   "PYTHONDONTWRITEBYTECODE"))
    with open("/harness/harness.py", "rb") as handle:
        harness = len(handle.read())
    return [others, left, env, harness]
'''

LEAVE_BEHIND = '''
import os
import time

FILES = ["/tmp/pj-left", "/work/pj-left", "/dev/shm/pj-left", "/work/sub/pj-left"]


def f(names):
    for name in FILES:
        try:
            os.makedirs(os.path.dirname(name), exist_ok=True)
            with open(name, "w") as handle:
                handle.write("left by an earlier job")
        except OSError:
            pass
    for name in ("/harness/harness.py", "/harness/libpjsandbox.so", "/usr/lib/pj-evil.so"):
        try:
            with open(name, "ab") as handle:
                handle.write(b"#")
        except OSError:
            pass
    os.environ["LD_PRELOAD"] = "/tmp/pj-evil.so"
    os.environ["PYTHONPATH"] = "/tmp"
    if os.fork() == 0:  # a daemon: double fork, its own session, outlives the job
        os.setsid()
        if os.fork() == 0:
            time.sleep(60)
        os._exit(0)
    time.sleep(0.05)
    return len(names)
'''


def test_a_job_leaves_nothing_for_the_next_one_in_the_same_slot():
    files = ["/tmp/pj-left", "/work/pj-left", "/dev/shm/pj-left", "/work/sub/pj-left"]
    clean = run_function(LOOK_AROUND, [files], warm=False)
    assert clean[:2] == [[], []], clean
    assert run_function(LEAVE_BEHIND, [files]) == 4
    slot = only_slot()
    jobs = slot.jobs
    seen = run_function(LOOK_AROUND, [files])
    assert only_slot() is slot and slot.jobs == jobs + 1, "the second job ran in another slot"
    assert seen == clean, "an earlier job's process, file, variable or library change is visible"
    assert set(slot.group.pids()) == slot.base_pids


def test_a_sample_cannot_signal_its_zygote_or_the_slot():
    attack = '''
import os
import signal


def f(x):
    hits = []
    for target in (os.getppid(), 1, 0, -1):
        try:
            os.kill(target, signal.SIGKILL)
            hits.append(target)
        except OSError:
            pass
    try:
        os.killpg(os.getpgid(0), signal.SIGKILL)
        hits.append("pgrp")
    except OSError:
        pass
    return [x, hits]
'''
    assert run_function(attack, [7]) == [7, []]
    slot = only_slot()
    assert slot.alive
    assert run_function(SORT, [3]) == [1, 2, 3]
    assert only_slot() is slot


@pytest.mark.skipif(not VALGRIND, reason="valgrind not installed")
def test_warm_counts_equal_cold_counts_job_after_job():
    cold = measure(SORT, [300], warm=False)
    for _ in range(3):
        assert measure(SORT, [300], warm=True) == cold
    assert only_slot().jobs == 3


@pytest.mark.skipif(not VALGRIND, reason="valgrind not installed")
def test_a_forged_record_does_not_reach_the_next_job():
    """A measured call tries to write every record name the next job's calls could get (the
    directory cannot be listed or written; the parent creates each call's files itself)."""
    forge = '''
def f(n):
    forged = 0
    for pid in range(1, 400):
        for suffix in ("", ".1", ".2", ".3"):
            try:
                with open(f"/cg/cg.out.{pid}{suffix}", "w") as handle:
                    handle.write("totals: 1\\nsummary: 1\\n")
                forged += 1
            except OSError:
                pass
    return forged
'''
    cold = measure(SORT, [300], warm=False)
    calls = [("null", 0, 0), ("sample", 0, 0)]
    job = {"mode": "measure", "kind": "function", "code": forge, "entry_point": "f",
           "inputs": [marshal.dumps([1], 2)], "calls": calls}
    run = runner.run_harness(job, limits=LIMITS.scaled(60), valgrind=True, warm=True)
    assert run.status == "ok" and run.calls[1].output is not None
    forged = wire.loads(run.calls[1].output[1:])
    # only its own record files are writable, and they are valgrind's to overwrite
    assert forged <= 4, forged
    assert measure(SORT, [300], warm=True) == cold


def test_a_slot_restarts_after_a_timeout_and_after_max_jobs(monkeypatch):
    run_function(SORT, [3])
    first = only_slot()
    job = {"mode": "function", "code": "def f(x):\n    while True:\n        pass\n",
           "entry_point": "f", "inputs": [marshal.dumps([1], 2)]}
    run = runner.run_harness(job, limits=dataclasses.replace(LIMITS, test_seconds=0.5),
                             deadlines=[0.5], warm=True)
    assert run.status == "timeout", run.detail
    assert first not in list(slots.POOL) and not first.alive
    monkeypatch.setattr(slots, "MAX_JOBS", 2)
    run_function(SORT, [3])
    second = only_slot()
    assert second is not first
    run_function(SORT, [3])
    run_function(SORT, [3])
    assert only_slot() is not second


def test_threads_and_forks_never_share_a_slot():
    import threading

    run_function(SORT, [3])
    slot = only_slot()
    seen = []
    thread = threading.Thread(target=lambda: seen.append(run_function(SORT, [4])))
    thread.start()
    thread.join()
    assert seen == [[1, 2, 3, 4]] and slot.jobs == 1
    pid = os.fork()
    if pid == 0:
        ok = len(slots.POOL) == 0 and run_function(SORT, [2]) == [1, 2]
        slots.POOL.close_all()
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert slot.alive and slot.jobs == 1


@pytest.mark.skipif(not VALGRIND, reason="valgrind not installed")
def test_the_kept_valgrind_baseline_is_the_same_warm_and_cold(data_dir, tmp_path, monkeypatch):
    """The baseline is measured once and kept, by whichever path comes first: both must
    count it to the instruction, on an ENAMEL task's real performance inputs."""
    from perfjudge.engine.judge import _wire_input, imported_modules

    task = {t.task_id: t for t in enamel.load(data_dir)}["HumanEval/12"]
    counts = {}
    for path in ("cold", "warm"):
        monkeypatch.setenv("PERFJUDGE_WARM", "1" if path == "warm" else "0")
        engine = Engine(limits=LIMITS, cache=Store(tmp_path / f"{path}.db"))
        tests = engine.performance_tests(task)[:3]
        calls = engine.valgrind_baseline(task, [_wire_input(list(t.input)) for t in tests],
                                         imported_modules(task.references[0].code),
                                         LIMITS.scaled(60))
        counts[path] = [(c.kind, c.index, c.instructions) for c in calls]
    assert [k for k, _, _ in counts["cold"]] == ["load-null", "null", "null", "null"]
    assert all(n > 100_000 for _, _, n in counts["cold"])
    assert counts["warm"] == counts["cold"]


@pytest.mark.skipif(not VALGRIND, reason="valgrind not installed")
def test_real_tasks_judge_the_same_warm_and_cold(data_dir, tmp_path, monkeypatch):
    """ENAMEL problems with their expert references under valgrind, HumanEval+ correctness:
    identical verdicts and per-test counts on both paths."""
    enamel_tasks = {t.task_id: t for t in enamel.load(data_dir)}
    plus_tasks = {t.task_id: t for t in evalplus.load_humaneval_plus(data_dir)}
    cases = [(enamel_tasks[i], "valgrind") for i in ("HumanEval/0", "HumanEval/12")]
    cases += [(plus_tasks[i], "none") for i in ("HumanEval/2", "HumanEval/32")]
    engine = Engine(limits=LIMITS, cache=Store(tmp_path / "derived.db"))
    results = {}
    for path in ("cold", "warm", "warm"):
        monkeypatch.setenv("PERFJUDGE_WARM", "1" if path == "warm" else "0")
        for task, meter in cases:
            result = check_solution(task, task.references[0].code, engine=engine, meter=meter)
            key = (path, task.task_id, meter)
            got = (result.verdict, result.tests_run, result.tests_passed,
                   [(m.test_index, m.value, m.samples) for m in result.measurements])
            assert result.verdict == "passed", (key, result.detail)
            assert results.setdefault(key, got) == got
    for task, meter in cases:
        assert results[("warm", task.task_id, meter)] == results[("cold", task.task_id, meter)]
    assert len(slots.POOL) >= 1


def test_a_sandboxed_pid_never_names_bubblewrap_itself():
    """A call's pid inside a slot counts up job after job, and on a host with 32,768 pids it
    meets bubblewrap's host pid now and then; that pid must not name bubblewrap (the call's
    cgroup took it, and killing the call killed the slot: 'the warm sandbox itself killed by
    SIGKILL' in loaded full runs)."""
    run_function(SORT, [3])
    slot = only_slot()
    bwrap = slot.launch.proc.pid
    with pytest.raises(OSError):
        runner._host_pid(slot.group, bwrap)
    init = runner._host_pid(slot.group, 1)
    assert init != bwrap and init in slot.base_pids


NS_LAST_PID = "/proc/sys/kernel/ns_last_pid"


@pytest.mark.skipif(not os.access(NS_LAST_PID, os.W_OK), reason="cannot set the next host pid")
def test_a_slot_survives_its_inner_pids_passing_bubblewraps_host_pid():
    """The same collision made certain: bubblewrap gets a low host pid, then measured calls
    fork in its slot until their pids pass it. It killed the slot at that pid before."""
    with open(NS_LAST_PID, "w") as handle:
        handle.write("100")
    run_function(SORT, [3])
    slot = only_slot()
    bwrap = slot.launch.proc.pid
    calls = [("sample", 0, r) for r in range(bwrap + 20)]
    job = {"mode": "measure", "kind": "function", "code": SORT, "entry_point": "f",
           "inputs": [marshal.dumps([3], 2)], "calls": calls}
    run = runner.run_harness(job, limits=LIMITS, warm=True)
    assert run.status == "ok", (bwrap, run.detail)
    assert len(run.calls) == len(calls) and all(c.exit_code == 0 for c in run.calls)
    assert only_slot() is slot and slot.alive


SELF_VIEW = '''
import os


def f(x):
    with open("/proc/self/status") as handle:
        fields = dict(line.split(":", 1) for line in handle if ":" in line)
    processes = [name for name in os.listdir("/proc") if name.isdigit()]
    return [len(processes), fields["Seccomp"].strip(), fields["NoNewPrivs"].strip(),
            fields["CapEff"].strip()]
'''


def test_a_warm_run_job_runs_in_its_zygote_sandboxed_as_a_child_would_be():
    """Warm, a run-mode job's own process is its zygote: it sees the slot's pid 1 and
    itself, no zygote beside it (one fork a job instead of two). It is sandboxed exactly as a
    cold job's forked child is: seccomp filter on, no new privileges, no capabilities."""
    warm = run_function(SELF_VIEW, [0])
    cold = run_function(SELF_VIEW, [0], warm=False)
    assert warm[0] == 2, warm
    assert warm[1:] == cold[1:] == ["2", "1", "0000000000000000"], (warm, cold)
