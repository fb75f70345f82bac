"""Per-run overhead of the perfjudge engine against a bare interpreter spawn.

Every variant launches one process (or sets up one piece of the sandbox) and is timed from
the parent with ``time.perf_counter`` around the whole call, so the figure is what a caller
pays per run. Variants are interleaved round-robin (A B C ... A B C ...) so drift of the
machine hits all of them alike. The interpreter is the one the sandbox uses
(``sandbox.probe().python``), never a pyenv shim.

Variants, from cheapest to the full engine:
  bare            python -I -S -c pass                     (as root, no isolation)
  bare+imports    python -I -S -c "import <the zygote's imports>"
  cgroup          RunGroup(...) + close                      (no process; mkdir/write/rmdir)
  bwrap           bwrap <perfjudge's args> python -I -S -c pass, as uid 65534
  full-stack      bwrap + uid drop + cgroup join + rlimits + the child library, -c pass
  run_harness     runner.run_harness on a 1-test job in a fresh sandbox (the cold path)
  run_harness/w   the same in this process's warm slot (`engine.slots`): a fork, not a start
  check(given)    check_solution, 1 trivial test with its expected output in the task
  check(cached)   check_solution, 1 trivial test, expected output from the engine's warm cache
  check(cpu_time) check_solution with the cpu_time meter, 1 correctness + 1 performance test
  (/w: the same through a warm slot)
Then, from longer jobs: the cost of one more test inside a run, one more measured call
(a fresh sandboxed child: setup, fork, exit), and the fixed cost of a valgrind check, cold
and warm.

Usage: .venv/bin/python perf/overhead.py [-n 50] [--save]
"""

from __future__ import annotations

import argparse
import marshal
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, Stats, Tee, machine_header, table  # noqa: E402

from perfjudge.engine import runner, sandbox  # noqa: E402
from perfjudge.engine.judge import Engine, check_solution  # noqa: E402
from perfjudge.engine.sandbox import Limits, RunGroup  # noqa: E402
from perfjudge.records.task import Reference, Task, TestCase  # noqa: E402
from perfjudge.store import Store  # noqa: E402

ZYGOTE_IMPORTS = "import gc, marshal, os, sys, time, signal, resource"
TRIVIAL = "def f(x):\n    return x\n"


def _job(inputs: list) -> dict:
    return {"mode": "function", "code": TRIVIAL, "entry_point": "f",
            "inputs": [marshal.dumps([x], 2) for x in inputs]}


def _measure_job(pairs: int) -> dict:
    calls = [(kind, 0, r) for r in range(pairs) for kind in ("null", "sample")]
    return {"mode": "measure", "kind": "function", "code": TRIVIAL, "entry_point": "f",
            "inputs": [marshal.dumps([1], 2)], "calls": calls}


def build_variants(caps: sandbox.Capabilities, limits: Limits, tmp: Path):
    py = caps.python
    hdir = sandbox.harness_dir()
    env = sandbox.child_environment(limits)
    preload = dict(env, LD_PRELOAD="/harness/libpjsandbox.so")
    devnull = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)

    def bare():
        subprocess.run([py, "-I", "-S", "-c", "pass"], check=True, **devnull)

    def bare_imports():
        subprocess.run([py, "-I", "-S", "-c", ZYGOTE_IMPORTS], check=True, **devnull)

    def cgroup():
        RunGroup(caps, limits).close()

    def bwrap():
        cmd = sandbox.wrap_command(caps, [py, "-I", "-S", "-c", "pass"], hdir, env)
        subprocess.run(cmd, check=True, env={"PATH": "/usr/bin:/bin"},
                       preexec_fn=sandbox._drop_privileges if caps.drop_uid else None,
                       **devnull)

    def full_stack():
        group = RunGroup(caps, limits)
        try:
            cmd = sandbox.wrap_command(caps, [py, "-I", "-S", "-c", "pass"], hdir, preload)
            subprocess.run(cmd, check=True, env={"PATH": "/usr/bin:/bin"},
                           preexec_fn=lambda: sandbox._child_setup(
                               limits, group.procs_files(), caps.drop_uid, False, ()),
                           **devnull)
        finally:
            group.close()

    def harness(warm):
        def run_harness():
            run = runner.run_harness(_job([1]), limits=limits, caps=caps, warm=warm)
            if run.status != "ok":
                raise RuntimeError(f"run_harness: {run.status} {run.detail}")
        return run_harness

    engine = Engine(limits=limits, cache=Store(tmp / "cache.db"))
    given = Task("overhead", "trivial/given", "", "function", "f",
                 tests=(TestCase([1], 1, True),), references=(Reference("ref", TRIVIAL),))
    cached = Task("overhead", "trivial/cached", "", "function", "f",
                  tests=(TestCase([1]),), references=(Reference("ref", TRIVIAL),))
    timed = Task("overhead", "trivial/timed", "", "function", "f",
                 tests=(TestCase([1], 1, True),), performance_tests=(TestCase([2], 2, True),),
                 references=(Reference("ref", TRIVIAL),))
    first = check_solution(cached, TRIVIAL, engine=engine)  # fills the cache
    if not first.passed:
        raise RuntimeError(f"check_solution warm-up: {first.verdict} {first.detail}")

    def check(task, meter=None, warm=False):
        def run():
            os.environ["PERFJUDGE_WARM"] = "1" if warm else "0"
            r = check_solution(task, TRIVIAL, engine=engine, meter=meter)
            if not r.passed:
                raise RuntimeError(f"check_solution: {r.verdict} {r.detail}")
        return run

    variants = [
        ("bare", "python -I -S -c pass (reference)", bare),
        ("bare+imports", "same + the zygote's stdlib imports", bare_imports),
        ("cgroup", "RunGroup create + close (no process)", cgroup),
        ("bwrap", "bwrap + uid 65534, python -c pass", bwrap),
        ("full-stack", "bwrap + uid + cgroup + rlimits + lib, -c pass", full_stack),
        ("run_harness", "runner.run_harness, 1-test job", harness(False)),
        ("check(given)", "check_solution, expected in task", check(given)),
        ("check(cached)", "check_solution, expected from cache", check(cached)),
        ("check(cpu_time)", "check_solution -m cpu_time, 1+1 tests", check(timed, "cpu_time")),
        ("run_harness/w", "run_harness in a warm slot", harness(True)),
        ("check(given)/w", "check(given) through a warm slot", check(given, warm=True)),
        ("check(cached)/w", "check(cached) through a warm slot", check(cached, warm=True)),
        ("check(cpu_time)/w", "check(cpu_time) through a warm slot",
         check(timed, "cpu_time", warm=True)),
    ]
    return variants, engine, timed


def slope(label: str, make_job, small: int, big: int, runs: int, caps, limits,
          **kwargs) -> str:
    """Marginal cost of one more unit (test or measured call) inside one run, from the
    medians of a small and a big job, interleaved."""
    times: dict[int, list[float]] = {small: [], big: []}
    for _ in range(runs):
        for size in (small, big):
            job = make_job(size)
            start = time.perf_counter()
            run = runner.run_harness(job, limits=limits, caps=caps, **kwargs)
            times[size].append(time.perf_counter() - start)
            if run.status != "ok":
                raise RuntimeError(f"run_harness: {run.status} {run.detail}")
    lo, hi = Stats.of(times[small]).median, Stats.of(times[big]).median
    per = (hi - lo) / (big - small)
    return (f"{label} ({runs} runs each): {small} -> {lo * 1e3:.1f} ms, {big} -> "
            f"{hi * 1e3:.1f} ms; {per * 1e6:.0f} us per additional one")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("-n", "--runs", type=int, default=50, help="runs per variant (50)")
    parser.add_argument("--per-test", type=int, default=1000,
                        help="tests in the job that measures the per-test cost (1000)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (3)")
    parser.add_argument("--save", action="store_true",
                        help="also write the output to perf/results/overhead.txt")
    args = parser.parse_args(argv)

    out = Tee(RESULTS / "overhead.txt" if args.save else None)
    out(machine_header("perf/overhead.py", argv))
    caps = sandbox.probe()
    limits = Limits()
    with tempfile.TemporaryDirectory(prefix="pj-overhead-") as tmp:
        variants, engine, timed = build_variants(caps, limits, Path(tmp))
        times: dict[str, list[float]] = {name: [] for name, _, _ in variants}
        for round_ in range(args.warmup + args.runs):
            for name, _, fn in variants:
                start = time.perf_counter()
                fn()
                elapsed = time.perf_counter() - start
                if round_ >= args.warmup:
                    times[name].append(elapsed)
        valgrind: dict[str, list[float]] = {"cold": [], "warm": []}
        for _ in range(max(3, args.runs // 10)):
            for path in ("cold", "warm"):
                os.environ["PERFJUDGE_WARM"] = "1" if path == "warm" else "0"
                start = time.perf_counter()
                r = check_solution(timed, TRIVIAL, engine=engine, meter="valgrind")
                valgrind[path].append(time.perf_counter() - start)
                if not r.passed:
                    raise RuntimeError(f"valgrind check: {r.verdict} {r.detail}")
        os.environ["PERFJUDGE_WARM"] = "1"
    stats = {name: Stats.of(v) for name, v in times.items()}
    base = stats["bare"].median
    rows = []
    for name, what, _ in variants:
        s = stats[name]
        rows.append([name, what, f"{s.median * 1e3:.2f}", f"{s.mad * 1e3:.2f}",
                     f"{s.p10 * 1e3:.2f}", f"{s.p90 * 1e3:.2f}", f"{s.cv * 100:.0f}%",
                     f"{s.median / base:.2f}x"])
    out()
    out(f"Per-run cost, {args.runs} interleaved runs per variant ({args.warmup} warm-up "
        "rounds discarded), wall clock in the parent, ms")
    out(table(["variant", "what runs", "median", "MAD", "p10", "p90", "CV", "vs bare"],
              rows, "llrrrrrr"))

    med = {name: s.median for name, s in stats.items()}
    out()
    out("Where the time of one check goes (differences of medians, ms):")
    steps = [
        ("interpreter start (bare)", med["bare"]),
        ("zygote's stdlib imports", med["bare+imports"] - med["bare"]),
        ("bwrap namespaces + uid drop", med["bwrap"] - med["bare"]),
        ("cgroup + rlimits + child library (full-stack - bwrap)", med["full-stack"] - med["bwrap"]),
        ("zygote, sandboxed child, protocol, cleanup (run_harness - full-stack)",
         med["run_harness"] - med["full-stack"]),
        ("check_solution bookkeeping (check(given) - run_harness)",
         med["check(given)"] - med["run_harness"]),
        ("cpu_time measurement: load + 6 measured pairs (check(cpu_time) - check(given))",
         med["check(cpu_time)"] - med["check(given)"]),
    ]
    out(table(["step", "ms", "share of check(cached)"],
              [[s, f"{v * 1e3:.2f}", f"{v / med['check(cached)'] * 100:.0f}%"] for s, v in steps],
              "lrr"))
    out(f"  (cgroup create+close alone: {med['cgroup'] * 1e3:.2f} ms, inside run_harness)")
    out()
    out(f"  warm slot: run_harness {med['run_harness/w'] * 1e3:.2f} ms against "
        f"{med['run_harness'] * 1e3:.2f} ms cold; check(cached) {med['check(cached)/w'] * 1e3:.2f}"
        f" ms against {med['check(cached)'] * 1e3:.2f} ms")
    out()
    runs = max(5, args.runs // 5)
    out(slope("Per-test cost inside one run (run_harness/w, no meter)",
              lambda n: _job(list(range(n))), 1, args.per_test, runs, caps, limits, warm=True))
    out(slope("Per measured call (measure mode, null + sample pairs; each call a fresh "
              "sandboxed child; warm slot)", lambda n: _measure_job(n // 2), 2, 42, runs, caps,
              limits, measure=True, warm=True))
    for path in ("cold", "warm"):
        v = Stats.of(valgrind[path])
        out(f"valgrind check of a trivial task, {path} (1 correctness + 1 performance test, "
            f"{len(valgrind[path])} runs, interleaved): median {v.median * 1e3:.0f} ms "
            f"(MAD {v.mad * 1e3:.0f})")
    out()
    for label in ("check(cached)", "check(cached)/w"):
        out(f"{label} / bare spawn = {med[label] / med['bare']:.2f}x")
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
