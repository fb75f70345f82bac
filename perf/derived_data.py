"""Reading HumanEval+'s expected outputs back from the store, in the three formats the store
has kept them in, side by side in one process:
  wire          the reference's outputs as its harness wrote them, decoded only for a failing
                test (since 14a7c88; key reference-wire-*)
  marshal       the outputs decoded, as marshal bytes (key reference-cpu-*, read as before)
  tagged JSON   the outputs decoded, as tagged JSON text (older stores, same key)

Each figure is what a pool worker pays before the checks of all 164 tasks: a fresh engine's
`correctness_tests` for every task, through the real read path (the older formats through
its fallback to the older key). The expected outputs come from running the canonical
solutions (a fresh store computes them first, which takes a minute; `--store` reuses one).
Each round reads all tasks in every format, the order rotating between rounds; the figure is
each format's median over the rounds.

Usage: .venv/bin/python perf/derived_data.py [--store FILE] [--rounds 5] [--save]
"""

from __future__ import annotations

import argparse
import json
import marshal
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA_DIR, RESULTS, Tee, machine_header, table  # noqa: E402

from perfjudge.benchmarks.evalplus import load_humaneval_plus  # noqa: E402
from perfjudge.engine import harness, judge  # noqa: E402
from perfjudge.store import Store  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "derived_data.txt" if args.save else None)
    out(machine_header("perf/derived_data.py", argv))

    tasks = load_humaneval_plus(args.data_dir)
    path = args.store or Path(tempfile.mkdtemp(prefix="pj-derived-")) / "store.db"
    started = time.perf_counter()
    engine = judge.Engine(cache=Store(path))
    for task in tasks:
        engine.correctness_tests(task)
    out(f"# expected outputs of {len(tasks)} tasks ready in {time.perf_counter() - started:.1f} s")

    with sqlite3.connect(path) as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM blobs WHERE key LIKE "
                                           "'reference-wire-%'")]
    wire_store = Store(path)
    stores = {"wire": wire_store, "marshal": Store(Path(tempfile.mkdtemp()) / "marshal.db"),
              "tagged JSON": Store(Path(tempfile.mkdtemp()) / "json.db")}
    for key in keys:
        run = judge.Engine(cache=wire_store)._cached(key, None)
        decoded = {"outputs": [marshal.loads(b) if b is not None else None for b in run["wire"]],
                   "seconds": run["seconds"], "failed": run["failed"], "error": run["error"]}
        older = key.replace("reference-wire-", "reference-cpu-")
        stores["marshal"].put_blob(older, judge.DERIVED_MARSHAL + marshal.dumps(decoded, 2))
        stores["tagged JSON"].put_blob(older, harness.dumps(decoded))  # as stores held it
    sizes = {}
    for name, store in stores.items():
        with sqlite3.connect(store.path) as conn:
            sizes[name] = conn.execute("SELECT SUM(LENGTH(value)) FROM blobs WHERE key LIKE "
                                       "'reference-%'").fetchone()[0]

    def read_all(store: Store) -> tuple[float, list]:
        engine = judge.Engine(cache=store)  # a fresh worker's engine: nothing in memory
        start = time.perf_counter()
        tests = [engine.correctness_tests(task) for task in tasks]
        return time.perf_counter() - start, tests

    seconds: dict[str, list[float]] = {name: [] for name in stores}
    names = list(stores)
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            seconds[name].append(read_all(stores[name])[0])
    reference = [[marshal.dumps(t.expected, 2) for t in tests]
                 for tests in read_all(stores["marshal"])[1]]
    same = all([[marshal.dumps(t.expected, 2) for t in tests]
                for tests in read_all(store)[1]] == reference for store in stores.values())

    rows = [[name, f"{statistics.median(s):.2f}", f"{min(s):.2f}-{max(s):.2f}",
             f"{sizes[name] / 2**20:.0f}"] for name, s in seconds.items()]
    out(f"\n{len(keys)} blobs of expected outputs and reference CPU times "
        f"({sum(len(t.tests) for t in tasks)} inputs), {args.rounds} rounds; expected values "
        f"identical in every format: {same}")
    out(table(["format", "read all tasks (s, median)", "range", "MB stored"], rows))
    wire = statistics.median(seconds["wire"])
    out("\n" + ", ".join(f"{name} / wire: {statistics.median(seconds[name]) / wire:.1f}x"
                         for name in names[1:]))
    out(json.dumps({"seconds": seconds, "bytes": sizes}))
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
