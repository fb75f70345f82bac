"""Run-to-run spread of each available meter, idle and with the other core busy.

For every meter the engine offers on this machine (cpu_time, wall_time, peak_memory, valgrind;
the hardware ``instructions`` counter is listed as unavailable when the host has none), the
same three programs are checked ``--runs`` times each with ``check_solution(..., meter=M)``:

  sort     sorted() of 10^5 random ints (the list is the test input)
  n2-loop  O(n^2) nested Python loop, n = 700 (490,000 iterations)
  dict     10^5 get/set operations on a dict

One "run" is one full check_solution call (a fresh sandbox); its figure is the value the
engine reports for the single performance test, i.e. the meter's own median over its repeats
(cpu_time/wall_time: 1 warm-up + 5 repeats; peak_memory: 1 call; valgrind: 1 warm-up + 1
counted call). The table gives the median of those values over the runs and their CV
(population stdev / mean) -- the spread a user sees between two checks of the same code --
and, for time meters, the mean CV between the repeats inside one run.

Conditions: runs are pinned to core 0 (``Engine(cpu=0)``, a cgroup cpuset). "idle": nothing
else started by this script. "busy": a CPU-burning process (``while True: pass``) pinned to
core 1 runs for the whole phase and is killed after it. The parent process is not pinned.
Rounds are interleaved (every meter and program once per round) so drift hits all alike.

Usage: .venv/bin/python perf/meter_spread.py [--runs 20] [--meters cpu_time,valgrind]
       [--conditions idle,busy] [--save]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, Stats, Tee, load_average, machine_header, table  # noqa: E402

from perfjudge import meters  # noqa: E402
from perfjudge.engine.judge import Engine, check_solution  # noqa: E402
from perfjudge.engine.sandbox import Limits  # noqa: E402
from perfjudge.records.task import Reference, Task, TestCase  # noqa: E402
from perfjudge.store import Store  # noqa: E402

PROGRAMS = {
    "sort": (
        "def f(a):\n    b = sorted(a)\n    return b[0] + b[len(b) // 2] + b[-1] + len(b)\n",
        lambda: [_random_ints(10**5, seed=0)],
    ),
    "n2-loop": (
        "def f(n):\n    s = 0\n    for i in range(n):\n        for j in range(n):\n"
        "            s += i ^ j\n    return s\n",
        lambda: [700],
    ),
    "dict": (
        "def f(n):\n    d = {}\n    for i in range(n):\n        k = (i * 7919) % 50021\n"
        "        d[k] = d.get(k, 0) + i\n    return [len(d), sum(d.values())]\n",
        lambda: [10**5],
    ),
}


def _random_ints(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(10**9) for _ in range(n)]


METER_ORDER = ("cpu_time", "wall_time", "peak_memory", "valgrind", "instructions")


def make_task(name: str) -> tuple[Task, str]:
    code, make_input = PROGRAMS[name]
    args = make_input()
    task = Task("meter-spread", name, "", "function", "f", tests=(TestCase(args),),
                performance_tests=(TestCase(args),), references=(Reference("ref", code),))
    return task, code


def start_burner(core: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "while True: pass"],
        preexec_fn=lambda: os.sched_setaffinity(0, {core}),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_burner(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def fmt_cv(cv: float) -> str:
    """Percent with two decimals, or two significant digits when below 0.01%."""
    pct = cv * 100
    return f"{pct:.2f}%" if pct >= 0.01 or pct == 0 else f"{pct:.1e}%"


def fmt_value(unit: str, value: float) -> str:
    if unit == "s":
        return f"{value * 1e3:.3f} ms"
    if unit == "bytes":
        return f"{value / (1 << 20):.2f} MiB"
    return f"{value:,.0f}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--runs", type=int, default=20, help="checks per meter x program (20)")
    parser.add_argument("--meters", default="",
                        help="comma-separated meters (default: every available one)")
    parser.add_argument("--conditions", default="idle,busy", help="idle,busy (both)")
    parser.add_argument("--run-core", type=int, default=0, help="core the runs are pinned to")
    parser.add_argument("--busy-core", type=int, default=1, help="core the burner is pinned to")
    parser.add_argument("--save", action="store_true",
                        help="also write the output to perf/results/meter_spread.txt")
    args = parser.parse_args(argv)

    out = Tee(RESULTS / "meter_spread.txt" if args.save else None)
    out(machine_header("perf/meter_spread.py", argv))
    available = meters.available_meters()
    wanted = [m for m in (args.meters.split(",") if args.meters else METER_ORDER) if m]
    for name in wanted:
        if name not in available:
            parser.error(f"unknown meter {name!r}")
    usable = [m for m in wanted if available[m][0]]
    for m in wanted:
        if not available[m][0]:
            out(f"# meter {m}: UNAVAILABLE here ({available[m][1]})")
    conditions = [c for c in args.conditions.split(",") if c]
    if os.cpu_count() and max(args.run_core, args.busy_core) >= os.cpu_count():
        parser.error("core index beyond this machine's cores")

    tasks = {name: make_task(name) for name in PROGRAMS}
    values: dict[tuple[str, str, str], list[float]] = {}
    inner_cv: dict[tuple[str, str, str], list[float]] = {}
    check_seconds: dict[tuple[str, str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="pj-meter-spread-") as tmp:
        engine = Engine(limits=Limits(), cache=Store(Path(tmp) / "cache.db"), cpu=args.run_core)
        for name, (task, code) in tasks.items():  # fill the expected-output cache, untimed
            first = check_solution(task, code, engine=engine)
            if not first.passed:
                raise SystemExit(f"{name}: {first.verdict}: {first.detail}")
        for condition in conditions:
            burner = start_burner(args.busy_core) if condition == "busy" else None
            try:
                time.sleep(0.5 if burner else 0)
                out(f"# phase {condition}: load average {load_average()} at start")
                started = time.perf_counter()
                for _ in range(args.runs):
                    for meter in usable:
                        for name, (task, code) in tasks.items():
                            t0 = time.perf_counter()
                            result = check_solution(task, code, meter=meter, engine=engine)
                            elapsed = time.perf_counter() - t0
                            if not result.passed or not result.measurements:
                                raise SystemExit(f"{condition}/{meter}/{name}: {result.verdict}: "
                                                 f"{result.detail}")
                            m = result.measurements[0]
                            key = (meter, name, condition)
                            values.setdefault(key, []).append(m.value)
                            inner_cv.setdefault(key, []).append(m.cv)
                            check_seconds.setdefault(key, []).append(elapsed)
                out(f"# phase {condition}: {time.perf_counter() - started:.0f} s, "
                    f"load average {load_average()} at end")
            finally:
                if burner:
                    stop_burner(burner)

    out()
    out(f"Spread of each meter over {args.runs} checks of the same program "
        f"(runs pinned to core {args.run_core}; busy = burner pinned to core {args.busy_core})")
    headers = ["meter", "program"]
    for c in conditions:
        headers += [f"{c} median", f"{c} CV", f"{c} in-run CV"]
    if {"idle", "busy"} <= set(conditions):
        headers += ["busy/idle"]
    headers += ["s/check"]
    rows = []
    for meter in usable:
        unit = meters.get_meter(meter).unit
        for name in tasks:
            row = [meter, name]
            medians = {}
            for c in conditions:
                s = Stats.of(values[(meter, name, c)])
                medians[c] = s.median
                inner = sum(inner_cv[(meter, name, c)]) / len(inner_cv[(meter, name, c)])
                repeats = meters.get_meter(meter).repeats
                row += [fmt_value(unit, s.median), fmt_cv(s.cv),
                        fmt_cv(inner) if repeats > 1 else "-"]
            if {"idle", "busy"} <= set(conditions):
                row.append(f"{medians['busy'] / medians['idle']:.3f}" if medians["idle"] else "-")
            secs = [x for c in conditions for x in check_seconds[(meter, name, c)]]
            row.append(f"{Stats.of(secs).median:.2f}")
            rows.append(row)
    out(table(headers, rows))
    out()
    out("CV = population stdev / mean of the per-check values; in-run CV = mean CV of the "
        "repeats inside one check (time meters only); s/check = median wall time of one "
        "check_solution call with that meter (correctness run + measured run).")
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
