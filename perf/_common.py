"""Small helpers shared by the benchmark scripts in this folder: robust statistics, a plain
text table, and a header that records the machine and the sandbox layers a figure came from.

Not part of the perfjudge package; the scripts import it as a sibling module.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATA_DIR = Path(os.environ.get("PERFJUDGE_DATA_DIR", REPO.parent / "shared" / "data"))


@dataclass
class Stats:
    n: int
    median: float
    mad: float
    mean: float
    cv: float
    p10: float
    p90: float
    lo: float
    hi: float

    @classmethod
    def of(cls, values: list[float]) -> "Stats":
        values = sorted(values)
        n = len(values)
        med = statistics.median(values)
        mean = statistics.fmean(values)
        return cls(
            n=n,
            median=med,
            mad=statistics.median(abs(v - med) for v in values),
            mean=mean,
            cv=(statistics.pstdev(values) / mean) if n > 1 and mean else 0.0,
            p10=_quantile(values, 0.10),
            p90=_quantile(values, 0.90),
            lo=values[0],
            hi=values[-1],
        )


def _quantile(sorted_values: list[float], q: float) -> float:
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = q * (len(sorted_values) - 1)
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def table(headers: list[str], rows: list[list[object]], align: str | None = None) -> str:
    """A plain fixed-width table; ``align`` is one of 'l'/'r' per column (default: first
    column left, the rest right)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    align = align or ("l" + "r" * (len(headers) - 1))

    def fmt(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w)
                         for c, w, a in zip(row, widths, align)).rstrip()

    lines = [fmt(cells[0]), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in cells[1:]]
    return "\n".join(lines)


def machine_header(script: str, argv: list[str]) -> str:
    """Where and how a figure was produced: printed at the top of every results file."""
    from perfjudge.engine import sandbox

    caps = sandbox.probe()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        sandbox_py = subprocess.run([caps.python, "-I", "-S", "-c",
                                     "import sys;print(sys.version.split()[0])"],
                                    capture_output=True, text=True).stdout.strip()
    except OSError:
        sandbox_py = "?"
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "src"],
                               capture_output=True, text=True).stdout.strip()
        commit += " (src has uncommitted changes)" if dirty else ""
    except OSError:
        commit = "?"
    layers = ", ".join(name for name, ok in caps.layers().items() if ok)
    lines = [
        f"# {script} {' '.join(argv)}",
        f"# date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; "
        f"perfjudge commit {commit}",
        f"# machine: {model or platform.processor()}, {os.cpu_count()} cores, "
        f"kernel {platform.release()}",
        f"# parent python {platform.python_version()} ({sys.executable}); "
        f"sandbox python {sandbox_py} ({caps.python})",
        f"# load average at start: {load_average()}",
        f"# sandbox layers: {layers}"
        + (f"; MISSING: {'; '.join(caps.missing)}" if caps.missing else ""),
    ]
    return "\n".join(lines)


class Tee:
    """Print to stdout and (optionally) collect the text for a results file."""

    def __init__(self, path: Path | None):
        self.path = path
        self.parts: list[str] = []

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        self.parts.append(text)

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("\n".join(self.parts) + "\n")
            print(f"\n(saved to {self.path})", file=sys.stderr)


@contextlib.contextmanager
def worktrees(commits: list[str], into: Path) -> Iterator[dict[str, tuple[Path, str]]]:
    """Each commit checked out (detached) under ``into``: ``{commit: (tree, short sha)}``, for
    scripts that compare commits side by side in one run (a run's figures only compare with
    figures of the same run: this machine's speed drifts between days). Removed afterwards."""
    trees: dict[str, tuple[Path, str]] = {}
    try:
        for commit in commits:
            tree = into / f"tree-{len(trees)}"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree),
                            commit], check=True, capture_output=True)
            sha = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                                 check=True, capture_output=True, text=True).stdout.strip()
            trees[commit] = (tree, sha)
        yield trees
    finally:
        for tree, _ in trees.values():
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                           capture_output=True)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"
