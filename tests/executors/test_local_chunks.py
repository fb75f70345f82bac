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
