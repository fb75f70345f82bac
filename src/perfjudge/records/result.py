"""Records that come out of the engine: verdicts, measurements, one checked sample.

All plain data, JSON-ready through `to_dict`, so the store, reports and the CLI's ``--json``
share one shape.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal[
    "passed",
    "wrong_answer",
    "runtime_error",
    "timeout",
    "memory_limit",
    "output_limit",
    "compile_error",
    "tampering",
    "sandbox_error",
]
VERDICTS: tuple[str, ...] = Verdict.__args__  # type: ignore[attr-defined]
"""``tampering``: the sample attacked a meter or the judge in a way that left a measurement
unusable (its valgrind record damaged, say): a failure of the sample, never of the machine.
``sandbox_error``: the judge or the machine failed; the sample is not blamed and the result
is not stored."""


@dataclass(frozen=True)
class Measurement:
    """One cost figure for one test (or the total), produced by one meter.

    ``value`` is the median over ``repeats`` measured calls, each minus ``baseline`` (the
    same call of a do-nothing module: process start, harness, exit); ``spread`` is the median
    absolute deviation in the same unit and ``cv`` the coefficient of variation (stdev /
    mean), so a reader sees the noise next to the number."""

    meter: str
    unit: str
    value: float
    repeats: int
    spread: float
    cv: float
    samples: tuple[float, ...] = ()
    test_index: int | None = None
    level: str | None = None
    """The measured test's level (`TestCase.level`): scoring groups costs by it."""
    machine: str = ""
    baseline: float | None = None
    resolution: float = 0.0
    """`value` is never below this (the meter's resolution for one call); see `Meter`."""


@dataclass
class TestFailure:
    index: int
    input_repr: str
    expected_repr: str | None = None
    output_repr: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    phase: Literal["correctness", "performance"] = "correctness"


@dataclass
class CheckResult:
    """The outcome of running one sample against one task."""

    task_id: str
    verdict: Verdict
    detail: str = ""
    failure: TestFailure | None = None
    tests_run: int = 0
    tests_passed: int = 0
    """Tests passed before the first failure (a sample stops there): the correctness
    tests', plus the performance pass's when that is where it failed."""
    tests_total: int | None = None
    """The task's correctness tests (None in results stored before this field existed)."""
    measurements: list[Measurement] = field(default_factory=list)
    total_cost: float | None = None
    censored_level: str | None = None
    """ENAMEL's rule (`perfjudge.records.task.LevelCensoring`): the level from which the sample timed
    out (or ran out of memory); it and later levels score 0, the sample still passes."""
    censored_at: int | None = None
    """The index of the test where that happened; only earlier levels are measured."""
    paired: dict[str, Any] | None = None
    """Time meters: the reference measured in the same sandbox, interleaved round by round
    with the sample (null, then sample and reference in alternating order), so drift of the
    machine falls on both: ``{"reference", "speedup", "low", "high", "rounds", "tests",
    "dearest_charged"}``, speedup = the reference's cost over the sample's (above 1: the
    sample is faster), the geometric mean over rounds with a Student-t 95% interval."""
    load_cost: float | None = None
    """What loading the sample's module cost in the same meter (inside every measured call
    already; reported apart so a solution that works at import time is visible), floored at
    0. Under valgrind its baseline is the kept one (`Engine.valgrind_baseline`), from a
    zygote that compiled no sample code: a module that does next to nothing at import may
    show a few hundred instructions less than its own zygote's baseline would give, i.e. 0
    (below the meter's 1,000-instruction resolution either way)."""
    warnings: list[str] = field(default_factory=list)
    """Measurement caveats: a large spread across repeats, a suspicious import/call split."""
    meter: str | None = None
    unit: str | None = None
    wall_seconds: float = 0.0
    peak_memory_bytes: int | None = None
    stdout_tail: str = ""
    stderr_tail: str = ""
    isolation: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CheckResult":
        data = dict(data)
        failure = data.pop("failure", None)
        measurements = [
            Measurement(**{**m, "samples": tuple(m.get("samples", ()))})
            for m in data.pop("measurements", [])
        ]
        return cls(
            **data,
            failure=TestFailure(**failure) if failure else None,
            measurements=measurements,
        )
