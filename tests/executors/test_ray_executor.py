"""The Ray executor on a real Ray cluster on 127.0.0.1 (a head and a second node process,
one CPU each, `scripts/local_ray_cluster.py`): the same verdicts and counts as the local
executor, a worker killed mid-run, the CLI, and what it refuses."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")

from perfjudge.benchmarks import get_benchmark  # noqa: E402
from perfjudge.errors import UsageError  # noqa: E402
from perfjudge.executors import CheckRequest, InProcessExecutor  # noqa: E402
from perfjudge.executors.ray_cluster import RayExecutor, _batches, _unlike  # noqa: E402
from perfjudge.pipeline import EvaluateOptions, evaluate  # noqa: E402

# One xdist worker runs these and the other load-sensitive tests ("heavy") one after another:
# a two-node cluster judging with valgrind fills both cores of a CI machine.
pytestmark = [pytest.mark.xdist_group("heavy"), pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
TASKS = get_benchmark("builtin").load()[:3]


def _cluster_module():
    spec = importlib.util.spec_from_file_location("local_ray_cluster",
                                                  ROOT / "scripts" / "local_ray_cluster.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["local_ray_cluster"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cluster():
    cluster = _cluster_module().start_cluster(nodes=2, cpus=1)
    yield cluster
    cluster.stop()


@pytest.fixture
def executor(cluster):
    ex = RayExecutor(address=cluster.address)
    yield ex
    ex.close()


def requests(meter="valgrind", per_task=2):
    return [CheckRequest(t, r.code, meter, tag=f"{t.task_id}|{r.name}")
            for t in TASKS for r in t.references[:per_task]]


def test_same_verdicts_and_counts_as_the_local_executor(executor, tmp_path):
    executor.ready("valgrind")
    assert executor.workers == 2
    remote = {r.tag: res for r, res in executor.check(requests(per_task=1))}
    local = {r.tag: res for r, res in InProcessExecutor().check(requests(per_task=1))}
    assert remote.keys() == local.keys()
    for tag in local:
        assert remote[tag].verdict == local[tag].verdict == "passed", tag
        assert remote[tag].total_cost == local[tag].total_cost, tag  # valgrind: to the count
        assert [m.value for m in remote[tag].measurements] == \
            [m.value for m in local[tag].measurements]
    assert len({node for node, _, _ in executor.batches}) == 2  # both nodes judged


def test_a_killed_worker_loses_and_duplicates_nothing(executor, cluster):
    executor.ready("valgrind")
    work = requests(per_task=1) + [CheckRequest(t, t.canonical.code + "\n# again\n",
                                                "valgrind", tag=f"{t.task_id}|again")
                                   for t in TASKS[:1]]
    results = []
    killed = None
    for request, result in executor.check(work):
        results.append((request.tag, result))
        if killed is None:
            killed = _kill_a_busy_worker(cluster)
    assert killed is not None, "no Ray worker was running a batch to kill"
    tags = [tag for tag, _ in results]
    assert sorted(tags) == sorted(r.tag for r in work) and len(tags) == len(set(tags))
    assert all(result.verdict == "passed" for _, result in results), \
        [(t, r.verdict, r.detail) for t, r in results if r.verdict != "passed"]


def _descends_from(pid: int, ancestors: set[int]) -> bool:
    for _ in range(8):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
        if pid in ancestors:
            return True
        if pid <= 1:
            return False
    return False


def _kill_a_busy_worker(cluster, timeout_s: float = 30) -> int | None:
    """SIGKILL one of this cluster's Ray workers while it runs a batch (its title is
    ray::_check_batch; other clusters on the machine are left alone)."""
    ours = {p.pid for p in cluster.processes}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"ray::_check_batch") and _descends_from(int(pid), ours):
                os.kill(int(pid), signal.SIGKILL)
                return int(pid)
        time.sleep(0.05)
    return None


def test_evaluate_on_the_cluster_equals_local(cluster, tmp_path):
    common = dict(benchmark="builtin", meter="valgrind", tasks=tuple(t.task_id for t in TASKS),
                  references=False)
    cmd = [sys.executable, "-m", "perfjudge.cli", "evaluate", "-b", "builtin", "-m", "valgrind",
           *sum((["-t", t.task_id] for t in TASKS), []), "--executor", "ray", "--address",
           cluster.address, "-o", str(tmp_path / "ray"), "--store", str(tmp_path / "ray.db"),
           "--no-references", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    on_ray = json.loads(done.stdout)
    local = evaluate(EvaluateOptions(**common, output=tmp_path / "local",
                                     store=tmp_path / "local.db", workers=2)).summary
    assert on_ray["scores"] == local["scores"]
    assert on_ray["counts"] == local["counts"]
    ray_records = {json.loads(x)["sample_id"]: json.loads(x) for x in
                   (tmp_path / "ray" / "results.jsonl").read_text().splitlines()}
    local_records = {json.loads(x)["sample_id"]: json.loads(x) for x in
                     (tmp_path / "local" / "results.jsonl").read_text().splitlines()}
    assert {k: (r["verdict"], r["test_costs"]) for k, r in ray_records.items()} == \
        {k: (r["verdict"], r["test_costs"]) for k, r in local_records.items()}


def test_time_and_hardware_meters_are_refused(executor):
    with pytest.raises(UsageError, match="measures time on the machine that runs it"):
        executor.ready("cpu_time")
    with pytest.raises(UsageError, match="shift with the CPU model"):
        executor.ready("instructions")


def test_one_failing_request_fails_only_itself(executor):
    executor.ready("valgrind")
    task = TASKS[0]
    good = CheckRequest(task, task.canonical.code, "none", tag="good")
    bad = CheckRequest(task, task.canonical.code, "no-such-meter", tag="bad")
    got = {r.tag: res for r, res in executor.check([good, bad])}
    assert got["good"].verdict == "passed"
    assert got["bad"].verdict == "sandbox_error" and "no-such-meter" in got["bad"].detail


def test_bad_addresses_fail_fast_with_exit_codes(tmp_path):
    started = time.monotonic()
    dead = subprocess.run([sys.executable, "-m", "perfjudge.cli", "evaluate", "--executor",
                           "ray", "--address", "127.0.0.1:1", "-o", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120)
    assert dead.returncode == 3 and "nothing answers at 127.0.0.1:1" in dead.stderr
    assert time.monotonic() - started < 60
    stray = subprocess.run([sys.executable, "-m", "perfjudge.cli", "evaluate", "--address",
                            "127.0.0.1:1"], capture_output=True, text=True, timeout=60)
    assert stray.returncode == 2 and "--address goes with --executor ray" in stray.stderr


def test_a_node_unlike_the_driver_may_not_join():
    here = {"interpreter": "CPython 3.11.2 sha256:a", "meter": "valgrind-3.19.0",
            "harness": "h1", "missing": []}
    assert _unlike(dict(here), here, "valgrind") is None
    weaker = {**here, "missing": ["namespaces (bubblewrap)"]}
    assert "lacks isolation layers" in _unlike(weaker, here, "none")
    other = {**here, "interpreter": "CPython 3.11.9 sha256:b"}
    assert "counts under" in _unlike(other, here, "valgrind")
    assert _unlike(other, here, "none") is None  # nothing counted: builds do not matter


def test_batches_keep_one_task_and_the_size():
    reqs = requests("none")
    batches = _batches(reqs, 1)
    assert [len(b) for b in batches] == [1] * len(reqs)
    batches = _batches(reqs + reqs[:1], 4)
    assert [len(b) for b in batches] == [2, 2, 2, 1]
    assert all(len({r.task.task_id for r in b}) == 1 for b in batches)


def test_the_service_judges_and_runs_programs_on_the_cluster_as_locally(executor, tmp_path):
    """`perfjudge serve --executor ray`: the service's core over the cluster gives the local
    executor's verdicts, and /run_code's program runs with equal counts (checks' counts on
    the cluster are compared above)."""
    import asyncio

    from perfjudge.records.program import ProgramRequest
    from perfjudge.service.judging import JudgeInput, JudgeService
    from perfjudge.store import Store

    task = TASKS[0]
    requests_ = [JudgeInput("builtin", task.task_id, code=task.references[1].code, meter="none",
                            reward="pass_rate"),
                 JudgeInput("builtin", task.task_id, code="def two_sum(nums, target):\n"
                            "    return [0, 0]\n", meter="none", reward="pass_rate")]
    program = ProgramRequest("print(sum(range(int(input()))))", "5000", meter="valgrind")
    answers = {}
    for name, ex in (("ray", executor), ("local", InProcessExecutor())):
        service = JudgeService(ex, Store(tmp_path / f"{name}.db"))
        try:
            answers[name] = (asyncio.run(service.judge_many(requests_)),
                             asyncio.run(service.run_program(program)))
        finally:
            service.close(executor=False)
    (remote, remote_run), (local, local_run) = answers["ray"], answers["local"]
    assert [a["verdict"] for a in remote] == [a["verdict"] for a in local] == [
        "passed", "wrong_answer"]
    assert [a["reward"] for a in remote] == [a["reward"] for a in local]
    assert remote_run.stdout == local_run.stdout == f"{sum(range(5000))}\n"
    assert remote_run.cost == local_run.cost > 0
