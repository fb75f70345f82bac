"""The built-in default run as a user starts it (`perfjudge evaluate`, fresh store), with the
valgrind meter (the default) and with cpu_time, through warm slots and with a fresh sandbox
per job (``PERFJUDGE_WARM=0``), side by side in one run.

Each variant is the whole CLI, start to exit, on a store of its own, so every expected
output, reference and sample is computed again. Variants alternate (valgrind warm, valgrind
cold, cpu_time warm, cpu_time cold) and the valgrind scores of both paths are compared: they
must be identical.

Usage: .venv/bin/python perf/default_run.py [--workers 2] [--save]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, RESULTS, Tee, load_average, machine_header, table  # noqa: E402


def run(meter: str, warm: bool, tmp: Path, workers: int) -> tuple[float, dict]:
    name = f"{meter}-{'warm' if warm else 'cold'}"
    cmd = [str(REPO / ".venv" / "bin" / "perfjudge"), "evaluate", "-m", meter, "-j",
           str(workers), "--store", str(tmp / f"{name}.db"), "-o", str(tmp / name), "--json"]
    env = dict(os.environ, PERFJUDGE_WARM="1" if warm else "0")
    env.pop("PERFJUDGE_STORE", None)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # 1: some samples failed, as the examples do
        raise SystemExit(f"{name}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
    return seconds, json.loads(proc.stdout)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save", action="store_true",
                        help="also write the output to perf/results/default_run.txt")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "default_run.txt" if args.save else None)
    out(machine_header("perf/default_run.py", argv))
    rows, summaries = [], {}
    with tempfile.TemporaryDirectory(prefix="pj-default-run-") as tmp:
        for meter in ("valgrind", "cpu_time"):
            for warm in (True, False):
                out(f"# {meter} {'warm' if warm else 'cold'} starts (load average "
                    f"{load_average()})")
                seconds, summary = run(meter, warm, Path(tmp), args.workers)
                summaries[(meter, warm)] = summary
                rows.append([meter, "warm slots" if warm else "fresh sandbox per job",
                             f"{seconds:.1f}", str(summary.get("executed"))])
    out(table(["meter", "path", "seconds", "checks executed"], rows, "llrr"))
    seconds = {(r[0], r[1].startswith("warm")): float(r[2]) for r in rows}
    same = summaries[("valgrind", True)].get("scores") == summaries[("valgrind", False)].get(
        "scores")
    out()
    out(f"valgrind / cpu_time, warm: {seconds[('valgrind', True)] / seconds[('cpu_time', True)]:.2f}x;"
        f" warm / cold: valgrind {seconds[('valgrind', True)] / seconds[('valgrind', False)]:.2f}x,"
        f" cpu_time {seconds[('cpu_time', True)] / seconds[('cpu_time', False)]:.2f}x")
    out(f"valgrind scores identical on both paths: {same}")
    out.save()
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
