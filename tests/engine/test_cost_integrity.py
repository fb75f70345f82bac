"""Costs a sample cannot fake, and a judge it cannot take down: the real sandbox, real meters.

Every attacking sample in ``tests/engine/integrity/`` has an honest twin in ``tests/engine/integrity/twins/``
that does the same work openly. For each meter an attack applies to, the attack must either
fail with a verdict that names what it did (``# expected:`` and ``# detail:`` in its header),
or be charged at least its twin's cost within the meter's spread. Headers: ``# class:``
(which class of attack), ``# attacks:`` (what it tries, and what it achieved before),
``# twin:``, ``# task:`` (default ``primes``), ``# meters:``, ``# expected:``, ``# detail:``.

The judge and host cases check what the parent paid: its time to answer, its memory and CPU,
the host's disk, leftovers, and that the next check works.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import time
from pathlib import Path

import pytest
from hostcheck import assert_host_clean, sandbox_processes

from perfjudge import meters
from perfjudge.engine import sandbox
from perfjudge.engine.judge import Engine, check_solution
from perfjudge.engine.sandbox import Limits
from perfjudge.pipeline import EvaluateOptions, evaluate
from perfjudge.records.task import Comparison, Reference, Task
from perfjudge.records.task import TestCase as Case
from perfjudge.store import Store

HERE = Path(__file__).parent / "integrity"
TWINS = HERE / "twins"
ATTACKS = sorted(p.stem for p in HERE.glob("*.py"))

pytestmark = [pytest.mark.usefixtures("sandbox_path"), pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.probe().bwrap is None or not sandbox.probe().cgroups,
    reason="the cost-integrity suite needs root, bubblewrap and a writable cgroup")]

PRIMES = (TWINS / "primes.py").read_text()
PRIMES_PROGRAM = (TWINS / "primes_program.py").read_text()
SMALL = (10, 100, 1000, 2)
PERF = (20_000, 30_000)
TASKS = {
    "primes": Task("integrity", "integrity/primes", "", "function", "f",
                   tests=tuple(Case([n]) for n in SMALL),
                   performance_tests=tuple(Case([n]) for n in PERF),
                   references=(Reference("ref", PRIMES),)),
    "primes_program": Task("integrity", "integrity/primes_program", "", "program", None,
                           tests=tuple(Case(f"{n}\n") for n in SMALL),
                           performance_tests=tuple(Case(f"{n}\n") for n in PERF),
                           references=(Reference("ref", PRIMES_PROGRAM),),
                           comparison=Comparison("tokens")),
}
LIMITS = Limits(test_seconds=5.0, wall_seconds=120.0, memory_bytes=1 << 30, max_processes=32,
                max_output_bytes=1 << 20)
TOLERANCE = {"cpu_time": 0.7, "wall_time": 0.7, "peak_memory": 0.9}
"""An attack must cost at least this share of its twin (time meters: the repeats of one
check spread a few percent; the attacks used to gain 25-266x)."""


def header(name: str) -> dict:
    text = (HERE / f"{name}.py").read_text()
    fields = dict(re.findall(r"^# (\w+): ?(.*)$", text, re.M))
    for key in ("class", "attacks", "twin", "meters", "expected"):
        assert key in fields, f"{name}.py has no '# {key}:' header"
    fields["meters"] = fields["meters"].split()
    fields.setdefault("task", "primes")
    return fields


CASES = [(name, meter) for name in ATTACKS for meter in header(name)["meters"]]


def available(meter: str) -> bool:
    return meters.get_meter(meter).availability()[0]


@pytest.fixture(scope="module")
def engine(run_tmp, tmp_path_factory):
    return Engine(limits=LIMITS, cache=Store(tmp_path_factory.mktemp("derived") / "derived.db"))


_twin_costs: dict[tuple[str, str, str], float] = {}


def twin_cost(twin: str, task: str, meter: str, engine: Engine) -> float:
    key = (twin, task, meter)
    if key not in _twin_costs:
        result = check_solution(TASKS[task], (TWINS / f"{twin}.py").read_text(), meter=meter,
                                engine=engine)
        assert result.verdict == "passed", (twin, meter, result.detail)
        _twin_costs[key] = result.total_cost
    return _twin_costs[key]


def test_suite_covers_every_class():
    classes = {header(name)["class"].split()[0] for name in ATTACKS}
    assert {"1", "2", "3", "4", "5", "judge"} <= classes, classes
    for name in ATTACKS:
        assert (TWINS / f"{header(name)['twin']}.py").exists(), name


@pytest.mark.parametrize("name, meter", CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_attack_is_refused_or_charged_in_full(name, meter, engine, run_tmp):
    if not available(meter):
        pytest.skip(f"meter {meter} is not available here")
    info = header(name)
    task = TASKS[info["task"]]
    m = meters.get_meter(meter)
    twin = Reference("twin", (TWINS / f"{info['twin']}.py").read_text())
    # time meters: the twin is measured beside the attack, round by round in one sandbox, so
    # a busy neighbour slows both (an attack that slowed its partner would only look worse)
    result = check_solution(task, (HERE / f"{name}.py").read_text(), meter=meter, engine=engine,
                            paired_with=twin if m.paired else None)
    if info["expected"] != "passed":
        assert result.verdict == info["expected"], (result.verdict, result.detail)
        assert re.search(info["detail"], result.detail), result.detail
        return
    assert result.verdict == "passed", (result.verdict, result.detail)
    if not m.paired:
        honest = twin_cost(info["twin"], info["task"], meter, engine)
        floor = honest - max(2 * m.resolution, 1e-4 * honest) if m.deterministic \
            else TOLERANCE[meter] * honest
        assert result.total_cost >= floor, (
            f"{name} under {meter} was charged {result.total_cost:.6g} against its honest "
            f"twin's {honest:.6g}")
    else:
        paired = result.paired
        assert paired is not None and paired["reference"] == "twin", paired
        assert paired["speedup"] <= 1 / TOLERANCE[meter], (
            f"{name} under {meter} was charged {1 / paired['speedup']:.3g} of its honest twin "
            f"measured beside it ({paired})")


# ----------------------------------------------------------------------------- judge and host


def _parent_usage() -> tuple[float, int]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss << 10


def _honest_still_passes(engine: Engine) -> None:
    result = check_solution(TASKS["primes"], PRIMES, engine=engine, meter="cpu_time")
    assert result.verdict == "passed", result.detail


def test_planted_records_neither_hang_nor_grow_the_parent(engine, run_tmp):
    baseline = set(sandbox_processes())
    cpu0, rss0 = _parent_usage()
    started = time.monotonic()
    result = check_solution(TASKS["primes"], (HERE / "forge_the_record.py").read_text(),
                            meter="valgrind", engine=engine)
    elapsed = time.monotonic() - started
    cpu1, rss1 = _parent_usage()
    assert result.verdict == "passed", result.detail
    assert elapsed < 120, elapsed  # a planted FIFO used to hang the judge forever
    assert rss1 - rss0 < 200 << 20, rss1 - rss0  # a link to /dev/zero grew it to 1.3 GB
    assert cpu1 - cpu0 < 30
    assert_host_clean(baseline, run_tmp)
    _honest_still_passes(engine)


def test_channel_flood_costs_the_parent_one_pass(engine, run_tmp):
    baseline = set(sandbox_processes())
    cpu0, rss0 = _parent_usage()
    result = check_solution(TASKS["primes"], (HERE / "channel_flood.py").read_text(),
                            engine=engine)
    cpu1, rss1 = _parent_usage()
    assert result.verdict == "runtime_error" and "harness channel" in result.detail
    assert cpu1 - cpu0 < 10, cpu1 - cpu0  # 34 s of the parent's CPU before, for 64 MiB
    assert rss1 - rss0 < 400 << 20
    assert_host_clean(baseline, run_tmp)
    _honest_still_passes(engine)


def test_writes_are_bounded_and_never_reach_the_host_disk(engine, run_tmp):
    baseline = set(sandbox_processes())
    before = shutil.disk_usage(sandbox.run_root()).used
    result = check_solution(TASKS["primes"], (HERE / "disk_filler.py").read_text(),
                            meter="cpu_time", engine=engine)
    after = shutil.disk_usage(sandbox.run_root()).used
    assert result.verdict == "passed", result.detail
    filled = re.search(r"pj-filled bytes=(\d+) files=(\d+)", result.stderr_tail)
    assert filled, result.stderr_tail
    written, files = int(filled.group(1)), int(filled.group(2))
    assert written <= 3 * LIMITS.scratch_bytes, written  # three 64 MiB tmpfs, not 1 GB
    assert files <= 3 * LIMITS.scratch_inodes, files
    assert after - before < 64 << 20, after - before
    assert_host_clean(baseline, run_tmp)
    _honest_still_passes(engine)


def test_deep_directories_leave_nothing_and_the_sweep_survives_them(engine, run_tmp):
    baseline = set(sandbox_processes())
    result = check_solution(TASKS["primes"], (HERE / "deep_directories.py").read_text(),
                            meter="cpu_time", engine=engine)
    assert result.verdict == "passed", result.detail
    assert_host_clean(baseline, run_tmp)
    # A stale run dir of a dead perfjudge process holding a 5,000-deep chain: the sweep at
    # the next start removes it instead of raising RecursionError.
    dead = 2 ** 22 + 17
    while os.path.exists(f"/proc/{dead}"):
        dead += 1
    stale = run_tmp / f"perfjudge-run-{dead}-deadbeef"
    stale.mkdir()
    fd = os.open(stale, os.O_RDONLY)
    for _ in range(5000):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = child
    os.close(fd)
    assert sandbox.sweep_stale(sandbox.probe()) == []
    assert not stale.exists()
    _honest_still_passes(engine)


def test_a_huge_int_where_a_float_is_expected_is_a_wrong_answer(engine):
    task = Task("integrity", "integrity/thirds", "", "function", "f",
                tests=(Case([1]), Case([2])),
                references=(Reference("ref", "def f(x):\n    return [x / 3, x / 2]\n"),),
                comparison=Comparison("atol", atol=1e-6))
    result = check_solution(task, "def f(x):\n    return [10 ** 400, x / 2]\n", engine=engine)
    assert result.verdict == "wrong_answer", result.detail
    assert "OverflowError" in result.detail


def test_a_sandbox_that_cannot_start_is_the_judges_fault(tmp_path, monkeypatch):
    """When the sandbox uid cannot traverse TMPDIR, every check would fail the same way:
    the verdict is sandbox_error with bwrap's reason, never a runtime error of the sample."""
    hidden = tmp_path / "private"
    hidden.mkdir(mode=0o700)
    monkeypatch.setenv("PERFJUDGE_RUN_DIR", str(hidden))
    sandbox.harness_dir.cache_clear()
    try:
        engine = Engine(limits=LIMITS, cache=Store(tmp_path / "derived.db"))
        result = check_solution(TASKS["primes"], PRIMES, engine=engine)
        assert result.verdict == "sandbox_error", (result.verdict, result.detail)
        assert str(hidden) in result.detail or "Permission denied" in result.detail, result.detail
        # A batch stops before judging anything, naming the cause and the way out.
        with pytest.raises(sandbox.SandboxUnavailable, match="PERFJUDGE_RUN_DIR"):
            evaluate(EvaluateOptions(benchmark="builtin", store=tmp_path / "store.db",
                                     output=tmp_path / "out", meter="cpu_time"))
        assert not (tmp_path / "out").exists()
    finally:
        monkeypatch.delenv("PERFJUDGE_RUN_DIR")
        sandbox.harness_dir.cache_clear()
