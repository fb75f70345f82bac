"""How the local pool groups requests: one round trip costs about what a warm check does."""

from __future__ import annotations

from perfjudge.executors.local import MAX_CHUNK, chunks
from perfjudge.executors.protocol import CheckRequest
from perfjudge.records.task import Task

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
