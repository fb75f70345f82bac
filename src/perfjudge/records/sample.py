"""A sample: one attempt at one task, the code the engine runs, where it came from and what
generating it cost; the issues a samples input can have."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from perfjudge.errors import InputFileError
from perfjudge.records.task import sha256_text

# Fields of a JSONL record copied into `Sample.generation` when present.
GENERATION_KEYS = (
    "backend",
    "tokens",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "reasoning_tokens",
    "usage",
    "cost",
    "cost_usd",
    "latency",
    "latency_s",
    "latency_ms",
    "ttft_s",
    "tpot_s",
    "device_s",
    "usage_source",
    "prompt_sha256",
    "prompt_style",
    "top_p",
    "max_tokens",
    "finish_reason",
    "temperature",
    "seed",
)

@dataclass(frozen=True)
class Sample:
    """One attempt at one task. ``code`` is the complete program the engine runs;
    ``raw`` keeps the model's original text when the code was derived from it."""

    sample_id: str
    task_id: str
    code: str
    source: str
    model: str | None = None
    raw: str | None = None
    generation: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def code_sha256(self) -> str:
        return sha256_text(self.code)


@dataclass(frozen=True)
class SampleIssue:
    """A problem with the input. ``kind`` is a stable code for filtering: ``malformed``,
    ``missing_task_id``, ``missing_code``, ``unknown_task``, ``duplicate``, ``no_samples``,
    ``no_code_block``, ``unreadable``."""

    path: str
    line: int | None
    task_id: str | None
    message: str
    kind: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        task = f" [{self.task_id}]" if self.task_id else ""
        return f"{where}{task}: {self.message}"


class SamplesError(InputFileError):
    """Raised in strict mode; carries every issue, not just the first."""

    def __init__(self, issues: list[SampleIssue]):
        self.issues = issues
        lines = "\n".join(f"  {issue}" for issue in issues)
        super().__init__(f"{len(issues)} problem(s) in samples:\n{lines}")


@dataclass
class SampleSet:
    samples: list[Sample]
    problems: list[SampleIssue]

    def __len__(self) -> int:
        return len(self.samples)

    def __iter__(self) -> Iterator[Sample]:
        return iter(self.samples)

    def by_task(self) -> dict[str, list[Sample]]:
        grouped: dict[str, list[Sample]] = {}
        for sample in self.samples:
            grouped.setdefault(sample.task_id, []).append(sample)
        return grouped

    def raise_if_problems(self) -> None:
        if self.problems:
            raise SamplesError(self.problems)
