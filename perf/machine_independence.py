"""Is a timeout verdict the same on a fast and a slow machine? Shown on Mbpp/781-style code.

MBPP+ Mbpp/781 ("is the count of divisors even?"): under EvalPlus's rule (every test within
max(1 s, 4 x the reference)) a solution whose slowest test takes about a second passes on a
fast machine and times out on a slow one; of 9 real-model solutions EvalPerf's machine judged
correct, 5 timed out on this one. Here several solutions of that task (the real MBPP+ inputs
up to ~1e9, and a harder variant with inputs ~1e12 where the sqrt solutions take 0.05-2 s)
are judged

  idle      the run pinned to core 0, nothing else on it
  busy      the same, with four CPU burners on core 0 (each in its own session, so the
            scheduler gives the sample a fifth of the core: wall time x5, CPU time ~same)

and for each the verdict, the limit and the rule that decided it, and the slowest test's CPU
time are printed. On a genuinely slower CPU the CPU times grow; so do the reference's (the
limit's relative part is measured on the same machine) and the floor, which is scaled by the
machine's measured speed (`Engine.machine_speed`, 1.0 = the development machine). No second
machine was at hand to measure that; the busy column is the slow machine the issue suggests
simulating (a CPU-bound neighbour).

Usage: .venv/bin/python perf/machine_independence.py [--data-dir ../shared/data] [--save]
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA_DIR, RESULTS, Tee, machine_header, table  # noqa: E402

from perfjudge.benchmarks import get_benchmark  # noqa: E402
from perfjudge.engine.judge import Engine, check_solution, per_test_limits  # noqa: E402
from perfjudge.engine.sandbox import Limits  # noqa: E402
from perfjudge.records.task import TestCase  # noqa: E402
from perfjudge.store import Store

SOLUTIONS = {
    "canonical (sqrt loop)": None,
    "isqrt, pairs": """
import math
def count_divisors(n):
    cnt = 0
    for i in range(1, math.isqrt(n) + 1):
        if n % i == 0:
            cnt += 1 if i * i == n else 2
    return cnt % 2 == 0
""",
    "sqrt, list of divisors": """
def count_divisors(n):
    divs = [i for i in range(1, int(n ** 0.5) + 1) if n % i == 0]
    total = sum(1 if d * d == n else 2 for d in divs)
    return total % 2 == 0
""",
    "sqrt, divmod + set": """
def count_divisors(n):
    found = set()
    i = 1
    while i * i <= n:
        q, r = divmod(n, i)
        if r == 0:
            found.add(i)
            found.add(q)
        i += 1
    return len(found) % 2 == 0
""",
    "sqrt, strings": """
def count_divisors(n):
    cnt = 0
    for i in range(1, int(n ** 0.5) + 1):
        if str(n % i) == "0":
            cnt += 1 if str(i * i) == str(n) else 2
    return cnt % 2 == 0
""",
    "linear to n // 2": """
def count_divisors(n):
    cnt = 1
    for i in range(1, n // 2 + 1):
        if n % i == 0:
            cnt += 1
    return cnt % 2 == 0
""",
}


def burners(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c",
                              "while True:\n    pass\n"], start_new_session=True)
            for _ in range(count)]


def judge(task, code, engine) -> tuple[str, str, float | None]:
    started = time.perf_counter()
    result = check_solution(task, code, engine=engine)
    return result.verdict, result.detail, time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--save", action="store_true",
                        help="also write the output to perf/results/machine_independence.txt")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "machine_independence.txt" if args.save else None)
    out(machine_header("perf/machine_independence.py", argv))
    base = {t.task_id: t for t in get_benchmark("mbpp+").load(args.data_dir)}["Mbpp/781"]
    harder = dataclasses.replace(
        base, task_id="Mbpp/781-1e12",
        tests=tuple(TestCase([10 ** 12 + k]) for k in (1, 7, 36, 104, 999_999)))
    limits = Limits(test_seconds=30.0, min_test_seconds=1.0, wall_seconds=600.0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="pj-machine-") as tmp:
        engine = Engine(limits=limits, cache=Store(Path(tmp) / "derived.db"), cpu=0)
        speed = engine.machine_speed()
        out(f"machine speed factor here: {speed:.3f} (1.0 = the development machine)")
        for task in (base, harder):
            tests = engine.correctness_tests(task)
            found = per_test_limits(tests, limits, task.timeout_factor, speed)
            assert found is not None
            slowest = max(range(len(tests)), key=lambda i: found[0][i])
            for name, code in SOLUTIONS.items():
                code = code or task.references[0].code
                idle = judge(task, code, engine)
                load = burners(4)
                try:
                    busy = judge(task, code, engine)
                finally:
                    for proc in load:
                        proc.kill()
                        proc.wait()
                timed = check_solution(dataclasses.replace(task, task_id=task.task_id + "-t"),
                                       code, engine=engine, meter="cpu_time") \
                    if idle[0] == "passed" else None
                cpu = max((m.value for m in timed.measurements), default=None) if timed else None
                limit, rule = found[0][slowest], found[1][slowest]
                rows.append([task.task_id, name, idle[0], busy[0],
                             f"{idle[2]:.1f} / {busy[2]:.1f}",
                             f"{cpu:.3f}" if cpu is not None else "-",
                             f"{limit:.2f} ({rule})"])
    out()
    out("verdict idle and with four same-core burners; wall s of the check idle / busy; the "
        "slowest measured test's CPU s (cpu_time meter, idle); the largest test's limit and its rule")
    out(table(["task", "solution", "idle", "busy", "wall s", "cpu s", "limit (rule)"], rows,
              "llllrrl"))
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
