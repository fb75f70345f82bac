"""The task model every benchmark adapter produces.

A `Task` says what a sample must compute (function call or stdin/stdout program), how its
outputs are judged (`Comparison`), which inputs probe correctness and which probe cost, and
which reference solutions set the efficiency bar. Records are frozen plain data: an adapter
builds them, everything downstream only reads them.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

TaskKind = Literal["function", "program"]
ComparisonKind = Literal["exact", "atol", "checker", "tokens", "replay"]


@dataclass(frozen=True)
class Comparison:
    """How the parent judges an output against the expected one.

    - ``exact``: plain-data equality, type-strict for bool vs int (EvalPlus semantics).
    - ``atol``: like exact, but floats (also nested in lists/tuples) may differ by ``atol``
      (EvalPlus ``atol``: ``numpy.allclose(out, exp, rtol=1e-07, atol=atol)``).
    - ``checker``: ``checker`` is Python source defining ``check(input, expected, output)
      -> bool``; it runs in its own sandboxed process, never in the sample's.
    - ``tokens``: stdout compared as whitespace-separated tokens (competitive judges).
    - ``replay``: ``checker`` is an assertion-style test (HumanEval ``check(candidate)``);
      it is replayed in its own process against the outputs the sample produced.
    """

    kind: ComparisonKind = "exact"
    atol: float = 0.0
    checker: str | None = None


@dataclass(frozen=True)
class TestCase:
    """One input. ``input`` is the list of positional arguments for a function task, or the
    stdin text for a program task. ``expected`` is only meaningful when ``has_expected``;
    otherwise the engine derives it by running the task's first reference solution, and
    records that run's wall time in ``reference_seconds`` (for per-test time limits)."""

    input: Any
    expected: Any = None
    has_expected: bool = False
    level: str | None = None
    weight: float = 1.0
    reference_seconds: float | None = None

    def __reduce_ex__(self, protocol: Any) -> Any:
        """Pickled as its fields, not as a state dict: every check ships its task's tests
        to a pool worker (HumanEval+: 124,253), and this halves the cost both ways."""
        if type(self) is not TestCase:  # a subclass keeps its own state
            return super().__reduce_ex__(protocol)
        return (TestCase, (self.input, self.expected, self.has_expected, self.level,
                           self.weight, self.reference_seconds))


@dataclass(frozen=True)
class Reference:
    """A known-correct solution. ``level`` orders efficiency: 0 is the slowest level, higher
    is faster (EvalPerf/ENAMEL convention); ``None`` when the benchmark gives no level."""

    name: str
    code: str
    level: int | None = None


@dataclass(frozen=True)
class InputGenerator:
    """Performance inputs made by benchmark-supplied code (ENAMEL, COFFE file level).

    ``source`` defines ``entry(*args)``; each call in ``calls`` is ``(level, args)`` and the
    generator runs sandboxed with ``random.seed(seed)`` set once before the first call, so
    inputs are reproduced exactly."""

    source: str
    entry: str
    seed: int
    calls: tuple[tuple[str | None, tuple[Any, ...]], ...]


@dataclass(frozen=True)
class LevelCensoring:
    """ENAMEL's verdict rule (q-rz/enamel, enam/evaluate.py, ``Evaluator.evaluate1``).

    Tests run level by level (``TestCase.level`` names them, in ``levels`` order). Every test
    has one time limit, ``alpha`` x the slowest reference time over the levels whose
    ``hardness`` is positive, plus ``tolerance_seconds``. A timeout, out-of-memory or
    OverflowError on a level ends the run there: that level and every later one score 0 and
    are not run, and the sample *still passes*, unless the level is the first. A wrong output
    or any other error before that point fails the sample."""

    levels: tuple[str, ...]
    hardness: tuple[float, ...]
    alpha: float = 2.0
    tolerance_seconds: float = 0.01


@dataclass(frozen=True)
class LevelScoring:
    """How per-level efficiency (ENAMEL's eff@k, `metrics.enamel_sample_efficiency`) reads
    the task's test levels: their ``order``, their ``hardness`` weights (None: equal) and
    alpha, the timeout factor over the slowest reference level. A task without one scores
    its levels in sorted order with equal weights, alpha 2 (ENAMEL's default)."""

    order: tuple[str, ...] = ()
    hardness: tuple[float, ...] | None = None
    alpha: float = 2.0


@dataclass(frozen=True)
class Provenance:
    benchmark: str
    version: str
    source_url: str
    sha256: str
    file: str = ""


@dataclass(frozen=True)
class Task:
    benchmark: str
    task_id: str
    prompt: str
    kind: TaskKind
    entry_point: str | None
    tests: tuple[TestCase, ...]
    performance_tests: tuple[TestCase, ...] = ()
    performance_generator: InputGenerator | None = None
    references: tuple[Reference, ...] = ()
    comparison: Comparison = field(default_factory=Comparison)
    provenance: Provenance | None = None
    timeout_factor: float = 4.0
    time_floor_seconds: float | None = None
    """The floor of the per-test limit max(floor, timeout_factor x reference) when the
    benchmark's harness has its own (COFFE: 0.1 s); None: EvalPlus's, ``Limits.min_test_seconds``
    (1 s)."""
    censoring: LevelCensoring | None = None
    """The benchmark's rule for slow tests, when it is not EvalPlus's (every test within
    ``timeout_factor`` x the reference, else a timeout)."""
    level_scoring: LevelScoring = field(default_factory=LevelScoring)
    language: str = "python"
    """`perfjudge.engine.languages` name of the language samples and references are written in."""
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def canonical(self) -> Reference | None:
        """The reference that defines expected outputs: the first one listed."""
        return self.references[0] if self.references else None

    @functools.cached_property
    def fingerprint_value(self) -> str:
        return self._fingerprint()

    def fingerprint(self) -> str:
        """Content hash of everything that decides a verdict or a cost (cache key part),
        test inputs and expected outputs included; computed once per task."""
        return self.fingerprint_value

    def _fingerprint(self) -> str:
        tests = hashlib.sha256("".join([  # one update: the digest of the same bytes
            repr((test.input, test.expected, test.has_expected, test.level))
            for test in (*self.tests, *self.performance_tests)]).encode("utf-8", "surrogatepass"))
        language = {} if self.language == "python" else {"language": self.language}
        payload = json.dumps(
            {
                **language,
                "benchmark": self.benchmark,
                "version": self.provenance.version if self.provenance else "",
                "sha256": self.provenance.sha256 if self.provenance else "",
                "task_id": self.task_id,
                "kind": self.kind,
                "entry_point": self.entry_point,
                "comparison": [self.comparison.kind, self.comparison.atol, self.comparison.checker],
                "tests": [len(self.tests), len(self.performance_tests), tests.hexdigest()],
                "generator": repr(self.performance_generator),
                "censoring": repr(self.censoring),
                "limits": [self.timeout_factor, self.time_floor_seconds],
                "references": [(r.name, r.level, sha256_text(r.code)) for r in self.references],
            },
            sort_keys=True,
            default=repr,
        )
        return sha256_text(payload)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
