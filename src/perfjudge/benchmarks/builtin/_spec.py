"""How a builtin task is written down, and how it becomes a `Task`.

A `Spec` keeps one task readable in one place: the prompt, hand-checked correctness cases,
a seeded generator of performance inputs, and references listed fastest first. Levels are
derived from that order, so a spec cannot list a level twice or skip one.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from perfjudge.records.task import Comparison, Provenance, Reference, Task, TestCase

PerfInputs = Callable[[random.Random], list[list[Any]]]


@dataclass(frozen=True)
class Spec:
    """One builtin task. ``tests`` are ``(args, expected)`` pairs; ``references`` are
    ``(name, code)`` pairs, fastest (canonical) first; ``perf`` makes argument lists from a
    generator seeded from the slug, so inputs are identical on every load."""

    slug: str
    family: str
    entry_point: str
    prompt: str
    tests: tuple[tuple[list[Any], Any], ...]
    perf: PerfInputs
    references: tuple[tuple[str, str], ...]
    comparison: Comparison = Comparison()

    @property
    def task_id(self) -> str:
        return f"builtin/{self.slug}"

    def seed(self) -> int:
        """A fixed seed per task (crc32 is stable across Python versions, unlike hash())."""
        return zlib.crc32(self.slug.encode())

    def to_task(self, provenance: Provenance) -> Task:
        count = len(self.references)
        perf_inputs = self.perf(random.Random(self.seed()))
        return Task(
            benchmark="builtin",
            task_id=self.task_id,
            prompt=self.prompt,
            kind="function",
            entry_point=self.entry_point,
            tests=tuple(
                TestCase(input=list(args), expected=expected, has_expected=True)
                for args, expected in self.tests
            ),
            performance_tests=tuple(TestCase(input=args, level="perf") for args in perf_inputs),
            references=tuple(
                Reference(name=name, code=code.strip() + "\n", level=count - 1 - index)
                for index, (name, code) in enumerate(self.references)
            ),
            comparison=self.comparison,
            provenance=provenance,
            metadata={"family": self.family},
        )
