"""Which warm sandboxes (`runner.Slot`) this process keeps, and when it may use them.

A slot is a long-lived sandbox whose pid 1 forks a fresh zygote per job (see
`harness._serve_slot`), so a check pays a fork instead of a bubblewrap, cgroup and
interpreter start-up (and, under valgrind, instrumented start-up and translation). Slots are
kept per configuration of the sandbox (interpreter, valgrind or not, pinned core, the limits
the sandbox itself enforces), at most `MAX_SLOTS` of them, each for at most `MAX_JOBS` jobs.

Only the main thread of the process that made a slot uses it: bubblewrap dies with the
thread that started it (``--die-with-parent``), and a forked process must not share another
process's pipes. ``PERFJUDGE_WARM=0`` turns slots off (every job a cold sandbox), which the
tests use to run the hostile suites on both paths.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Protocol

MAX_SLOTS = 4
MAX_JOBS = 1024
"""A slot is restarted after this many jobs: a long-lived process is one more thing to
trust. Its pid 1 runs no Python between jobs, so nothing grows but the pids inside (which
wrap). A restart costs ~50 ms; after 256 jobs it was ~0.2 ms of a trivial check's ~4.5."""


class WarmSlot(Protocol):
    jobs: int
    base_pids: frozenset[int]
    """Host pids of the slot itself (bubblewrap and its pid 1): all that may live between jobs."""

    def close(self) -> None: ...


def enabled() -> bool:
    """Whether jobs use warm slots by default (``PERFJUDGE_WARM``, on unless ``0``)."""
    return os.environ.get("PERFJUDGE_WARM", "1") != "0"


def usable() -> bool:
    """Whether this thread may use the pool at all (the main thread only)."""
    return threading.current_thread() is threading.main_thread()


class SlotPool:
    def __init__(self) -> None:
        self._slots: OrderedDict[Hashable, WarmSlot] = OrderedDict()
        self._owner = os.getpid()
        self._registered = 0

    def get(self, key: Hashable, create: Callable[[], WarmSlot]) -> WarmSlot:
        """The slot for ``key``, started by ``create`` when there is none (or it is worn);
        ``create`` may raise, and then nothing is kept."""
        self._check_owner()
        slot = self._slots.get(key)
        if slot is not None and slot.jobs >= MAX_JOBS:
            self.discard(slot)
            slot = None
        if slot is None:
            slot = create()
            self._slots[key] = slot
            self._close_at_exit()
            while len(self._slots) > MAX_SLOTS:
                _, oldest = self._slots.popitem(last=False)
                oldest.close()
        self._slots.move_to_end(key)
        return slot

    def discard(self, slot: WarmSlot) -> None:
        for key, kept in list(self._slots.items()):
            if kept is slot:
                del self._slots[key]
        slot.close()

    def close_all(self) -> None:
        if os.getpid() != self._owner:
            return
        while self._slots:
            _, slot = self._slots.popitem()
            slot.close()

    def __len__(self) -> int:
        self._check_owner()
        return len(self._slots)

    def __iter__(self):
        self._check_owner()
        return iter(list(self._slots.values()))

    def _check_owner(self) -> None:
        if os.getpid() != self._owner:  # a fork: the slots and their pipes are the parent's
            self._slots = OrderedDict()
            self._owner = os.getpid()

    def _close_at_exit(self) -> None:
        """Once per process: close the slots at exit, both on the interpreter's exit path and
        on multiprocessing's (a pool worker ends through it and skips atexit)."""
        if self._registered == os.getpid():
            return
        self._registered = os.getpid()
        atexit.register(self.close_all)
        from multiprocessing import util

        util.Finalize(self, self.close_all, exitpriority=10)


POOL = SlotPool()
