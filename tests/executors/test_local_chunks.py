"""How the local pool groups and orders requests: one round trip costs about what a warm
check does, and the heaviest tasks start first."""

from __future__ import annotations

import os

import pytest

from perfjudge.engine import sandbox
from perfjudge.engine.judge import Engine
from perfjudge.executors.local import MAX_CHUNK, LocalPoolExecutor, chunks
from perfjudge.executors.protocol import CheckRequest
from perfjudge.records.task import Reference, Task
from perfjudge.records.task import TestCase as Case
from perfjudge.store import Store

TASK = Task("t", "t/0", "", "function", "f", tests=())


def requests(n: int) -> list[CheckRequest]:
    return [CheckRequest(TASK, "", tag=str(i)) for i in range(n)]


def test_chunks_keep_every_request_once_in_order():
    for n, workers, size in [(0, 2, 1), (1, 2, 1), (7, 2, 1), (8, 2, 1), (17, 2, 2),
                             (64, 2, 8), (1000, 2, MAX_CHUNK), (30, 1, 7)]:
        got = chunks(requests(n), workers)
        assert [r.tag for chunk in got for r in chunk] == [str(i) for i in range(n)]
        assert all(len(chunk) == size for chunk in got[:-1]), (n, workers)


def test_chunks_never_mix_tasks():
    other = Task("t", "t/1", "", "function", "f", tests=())
    mixed = requests(20) + [CheckRequest(other, "", tag=f"o{i}") for i in range(20)]
    got = chunks(mixed, 2)  # 40 // 8 = 5 per chunk
    assert [len(c) for c in got] == [5, 5, 5, 5, 5, 5, 5, 5]
    assert all(len({r.task.task_id for r in chunk}) == 1 for chunk in got)
    alternating = [CheckRequest(TASK if i % 2 else other, "", tag=str(i)) for i in range(40)]
    assert all(len(c) == 1 for c in chunks(alternating, 2))


def test_measured_checks_go_one_by_one():
    measured = [CheckRequest(TASK, "", meter="valgrind", tag=str(i)) for i in range(64)]
    assert all(len(c) == 1 for c in chunks(measured, 2))
    assert len(chunks([CheckRequest(TASK, "", meter="none")] * 64, 2)) == 8


@pytest.mark.skipif(os.geteuid() != 0 or sandbox.probe().bwrap is None
                    or not sandbox.probe().cgroups,
                    reason="needs root, bubblewrap and a writable cgroup")
def test_the_heaviest_prepared_task_goes_first(tmp_path):
    """Longest processing time first, by the reference CPU seconds `Engine.prepare` kept;
    a task never prepared keeps its place among the other unknowns, after them."""
    def task(name: str, body: str) -> Task:
        return Task("t", name, "", "function", "f", tests=tuple(Case([n]) for n in (1, 2)),
                    references=(Reference("ref", "def f(n):\n" + body),))

    light = task("t/light", "    return sum(range(1_000_000)) + n\n")
    heavy = task("t/heavy", "    return sum(range(10_000_000)) + n\n")
    never = task("t/never", "    return n\n")
    engine = Engine(cache=Store(tmp_path / "s.db"))
    assert engine.estimated_seconds(heavy) is None
    engine.prepare(light)
    engine.prepare(heavy)
    assert engine.estimated_seconds(heavy) > 3 * engine.estimated_seconds(light) > 0
    executor = LocalPoolExecutor(2, store=tmp_path / "s.db")
    try:
        order = executor._heaviest_first(
            [CheckRequest(t, "", tag=f"{t.task_id}:{i}") for t in (never, light, heavy)
             for i in range(2)])
    finally:
        executor.close()
    assert [r.tag for r in order] == ["t/heavy:0", "t/heavy:1", "t/light:0", "t/light:1",
                                      "t/never:0", "t/never:1"]
