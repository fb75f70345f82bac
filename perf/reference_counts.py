"""Do valgrind's counts travel between machines? Every builtin reference, counted per test.

Counts each of the builtin benchmark's references (28 tasks x 3 levels) under the valgrind
meter and writes `results/reference_counts-<cpu>.json` ({"machine", "interpreter", "counts":
{"task#level": [per-test instructions]}}). Run it on two machines with the same sandbox
interpreter build and compare the files:

    .venv/bin/python perf/reference_counts.py --save
    .venv/bin/python perf/reference_counts.py --against results/reference_counts-A.json

`--against` prints, for every reference and test both files hold, the largest relative
difference, and how many tests differ by more than the meter's tie band
(`Meter.tie_band`). valgrind presents one of a few fixed CPUs to the program, chosen by the
host's broad feature level (AVX2 or not, for instance), so the C library's run-time dispatch
follows that rather than the exact CPU model; the interpreter build must match (the file
names it, and `perfjudge compare` refuses runs counted under different ones).
Run twice on one machine, the same script measures run-to-run stability of every reference.

Usage: .venv/bin/python perf/reference_counts.py [--workers 2] [--save] [--against FILE]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, Tee, machine_header, table  # noqa: E402

from perfjudge import meters  # noqa: E402
from perfjudge.benchmarks import get_benchmark  # noqa: E402
from perfjudge.engine import sandbox  # noqa: E402
from perfjudge.engine.judge import Engine, check_solution  # noqa: E402
from perfjudge.store import (
    Store,  # noqa: E402
    machine_fingerprint,  # noqa: E402
)


def count_all(workers: int) -> dict[str, list[float]]:
    engine = Engine(cache=Store(Path(tempfile.mkdtemp(prefix="pj-refcounts-")) / "derived.db"))
    jobs = [(task, ref) for task in get_benchmark("builtin").load() for ref in task.references]
    counts: dict[str, list[float]] = {}
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = {pool.submit(check_solution, task, ref.code, meter="valgrind", engine=engine):
                   f"{task.task_id}#{ref.name}" for task, ref in jobs}
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            if result.verdict != "passed":
                raise SystemExit(f"{futures[future]}: {result.verdict} {result.detail}")
            counts[futures[future]] = [m.value for m in result.measurements]
    return dict(sorted(counts.items()))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save", action="store_true",
                        help="write results/reference_counts-<cpu>.json and the printed output")
    parser.add_argument("--against", type=Path, help="a file written by --save elsewhere")
    args = parser.parse_args(argv)
    machine = machine_fingerprint()
    cpu = re.sub(r"[^A-Za-z0-9]+", "-", machine.split(";")[0].removeprefix("cpu=")).strip("-")
    out = Tee(RESULTS / f"reference_counts-{cpu}.txt" if args.save else None)
    out(machine_header("perf/reference_counts.py", argv))
    data = {"machine": machine,
            "interpreter": sandbox.interpreter_identity(sandbox.probe().python),
            "counts": count_all(args.workers)}
    total = sum(len(v) for v in data["counts"].values())
    out(f"{len(data['counts'])} references, {total} tests counted under {data['interpreter']}")
    if args.save:
        (RESULTS / f"reference_counts-{cpu}.json").write_text(json.dumps(data, indent=1))
    if args.against:
        other = json.loads(args.against.read_text())
        band = meters.get_meter("valgrind").tie_band
        rows, worst, beyond, compared = [], 0.0, 0, 0
        for key, mine in data["counts"].items():
            theirs = other["counts"].get(key)
            if not theirs or len(theirs) != len(mine):
                continue
            diffs = [abs(a - b) / max(a, b) for a, b in zip(mine, theirs)]
            compared += len(diffs)
            beyond += sum(not band.same(a, b) for a, b in zip(mine, theirs))
            worst = max(worst, max(diffs))
            rows.append([key, f"{max(diffs):.2e}", f"{sum(mine):.0f}", f"{sum(theirs):.0f}"])
        rows.sort(key=lambda r: -float(r[1]))
        out(f"against {args.against} ({other['machine']}; {other['interpreter']})")
        if other["interpreter"] != data["interpreter"]:
            out("warning: different interpreter builds; counts are not expected to agree")
        out(table(["reference", "max rel diff", "instructions here", "there"], rows[:10], "lrrr"))
        out(f"{compared} tests compared: largest relative difference {worst:.2e}; "
            f"{beyond} beyond the tie band ({band.absolute:g} instructions or "
            f"{band.relative:g} of the larger)")
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
