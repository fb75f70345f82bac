"""The builtin benchmark's quality gate: the cost of every reference level, measured by the
engine's own ``valgrind`` meter (deterministic instruction counts, so the ordering of levels
can be asserted with a fixed margin on any machine).

A reference that is wrong on a performance input fails here too: the engine compares every
reference's outputs with the canonical one's before it reports a cost.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from perfjudge import meters
from perfjudge.engine.judge import Engine, check_solution
from perfjudge.records.task import Task


@dataclass
class LevelCosts:
    """Instructions per performance test for each reference of one task."""

    task_id: str
    names: list[str]
    levels: list[int]
    instructions: list[list[float]]
    problems: list[str]

    def totals(self) -> list[float]:
        return [sum(row) for row in self.instructions]

    def adjacent_ratios(self) -> list[float]:
        """Cost of level l over level l+1 (slowest first); > 1 means correctly ordered."""
        by_level = [total for _, total in sorted(zip(self.levels, self.totals()))]
        return [slow / fast for slow, fast in zip(by_level, by_level[1:])]


def valgrind_available() -> bool:
    return meters.get_meter("valgrind").availability()[0]


_ENGINE: Engine | None = None


def measure_levels(task: Task, engine: Engine | None = None) -> LevelCosts:
    global _ENGINE
    if engine is None:
        _ENGINE = engine = _ENGINE or Engine()
    names, levels, rows, problems = [], [], [], []
    for ref in task.references:
        result = check_solution(task, ref.code, meter="valgrind", engine=engine)
        if result.verdict != "passed":
            problems.append(f"{task.task_id} {ref.name}: {result.verdict} {result.detail}")
            continue
        names.append(ref.name)
        levels.append(ref.level if ref.level is not None else -1)
        rows.append([m.value for m in result.measurements])
    return LevelCosts(task.task_id, names, levels, rows, problems)


def measure_all(tasks: list[Task], workers: int = 2) -> list[LevelCosts]:
    """Deterministic counts do not disturb each other, so tasks run in parallel, in worker
    processes (each keeps its own warm sandboxes, `engine.slots`)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(measure_levels, tasks))
