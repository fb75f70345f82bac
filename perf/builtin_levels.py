"""Print, per builtin task, the instruction count (valgrind meter) of each reference level.

Usage: python perf/builtin_levels.py [SUBSTRING ...] [--json]
Columns: instructions summed over the task's performance tests for each level (0 = slowest),
then the cost ratio of each level to the next faster one; the builtin tests require >= 1.5.
"""

from __future__ import annotations

import json
import sys
import time

from perfjudge.benchmarks.builtin import load
from perfjudge.benchmarks.builtin.calibrate import measure_all, valgrind_available


def main(argv: list[str]) -> int:
    if not valgrind_available():
        print("the valgrind meter is unavailable here (`perfjudge meters` says why)",
              file=sys.stderr)
        return 2
    as_json = "--json" in argv
    filters = [arg for arg in argv if not arg.startswith("--")]
    tasks = [t for t in load() if not filters or any(f in t.task_id for f in filters)]
    started = time.perf_counter()
    results = measure_all(tasks)
    for r in results:
        for problem in r.problems:
            print("PROBLEM:", problem, file=sys.stderr)
    if as_json:
        json.dump([r.__dict__ | {"ratios": r.adjacent_ratios()} for r in results], sys.stdout)
        return 0
    width = max(len(r.task_id) for r in results)
    print(f"{'task':{width}}  {'level 0':>14} {'level 1':>14} {'level 2':>14} {'level 3':>14}"
          "   ratios (L/L+1)")
    worst = float("inf")
    for r in results:
        by_level = [total for _, total in sorted(zip(r.levels, r.totals()))]
        ratios = r.adjacent_ratios()
        worst = min([worst, *ratios])
        cells = "".join(f"{total:>15,}" for total in by_level).ljust(60)
        print(f"{r.task_id:{width}} {cells}   " + "  ".join(f"{x:8.1f}" for x in ratios))
    print(f"\n{len(results)} tasks, smallest adjacent-level ratio {worst:.2f}, "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
