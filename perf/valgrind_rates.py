"""How many instructions per microsecond of CPU does honest code count under valgrind?

The CPU cross-check (`engine.judge._check_counts_against_cpu`) calls a valgrind measurement
`tampering` when a call spent 0.1 s of CPU or more and counted under
`engine.judge.MIN_INSTRUCTIONS_PER_NS` (20 per microsecond). This script measures the rate on
heavy honest calls of different kinds (a 300 MB memset, a 40 M-element list, sorting,
big-int multiplication, string replacement, dict building), so the margin of that threshold
is a measured figure. The rate is the call's counted instructions over its CPU time (its
cgroup's: valgrind's process, user and system), each minus the baseline call's, as the check
computes them.

Usage: .venv/bin/python perf/valgrind_rates.py [--save]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, Tee, machine_header, table  # noqa: E402

from perfjudge.engine import judge as execution  # noqa: E402
from perfjudge.engine.judge import Engine, check_solution  # noqa: E402
from perfjudge.records.task import Reference, Task  # noqa: E402
from perfjudge.records.task import TestCase as Case  # noqa: E402
from perfjudge.store import Store  # noqa: E402

CASES = {
    "memset 300 MB": ("def f(n):\n    return len(bytearray(n))\n", 300_000_000),
    "list of 40 M": ("def f(n):\n    return len([0] * n)\n", 40_000_000),
    "sort 300 k floats": ("import random\ndef f(n):\n    r = random.Random(1)\n"
                          "    xs = [r.random() for _ in range(n)]\n    xs.sort()\n"
                          "    return len(xs)\n", 300_000),
    "big int square": ("def f(n):\n    x = 7 ** n\n    return (x * x).bit_length()\n", 300_000),
    "str replace 40 MB": ("def f(n):\n    s = 'ab' * n\n    return len(s.replace('a', 'xyz'))\n",
                          20_000_000),
    "dict of 1 M": ("def f(n):\n    d = {i: i for i in range(n)}\n    return len(d)\n",
                    1_000_000),
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--save", action="store_true",
                        help="also write the output to perf/results/valgrind_rates.txt")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "valgrind_rates.txt" if args.save else None)
    out(machine_header("perf/valgrind_rates.py", argv))
    seen: list[tuple[float, int]] = []
    original = execution._check_counts_against_cpu

    def record(run, result, tests, engine):
        null = {c.index: c for c in run.calls if c.kind == "null"}
        for c in run.calls:
            base = null.get(c.index)
            if c.kind == "sample" and base and None not in (c.cpu_ns, base.cpu_ns,
                                                            c.instructions, base.instructions):
                seen.append((c.cpu_ns - base.cpu_ns, c.instructions - base.instructions))
        return original(run, result, tests, engine)

    execution._check_counts_against_cpu = record
    engine = Engine(cache=Store(Path(tempfile.mkdtemp(prefix="pj-rates-")) / "derived.db"))
    rows = []
    for name, (code, n) in CASES.items():
        seen.clear()
        task = Task("rates", "rates/f", "", "function", "f", tests=(Case([10]),),
                    performance_tests=(Case([n]),), references=(Reference("ref", code),))
        result = check_solution(task, code, meter="valgrind", engine=engine)
        cpu, instructions = seen[-1] if seen else (0, 0)
        rows.append([name, result.verdict, f"{cpu / 1e9:.2f}", f"{instructions:,}",
                     f"{instructions / cpu * 1e3:.0f}" if cpu else "-"])
    out(table(["call", "verdict", "CPU s", "instructions", "per microsecond"], rows, "llrrr"))
    out(f"threshold: {execution.MIN_INSTRUCTIONS_PER_NS * 1e3:g} per microsecond on calls of "
        f"{execution.MIN_CHECKED_CPU_NS / 1e9:g} s or more")
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
