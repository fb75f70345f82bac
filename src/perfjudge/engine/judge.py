"""Check one sample against one task: correctness first, then cost.

    check_solution(task, code, meter="valgrind") -> CheckResult

Expected outputs come from the task (when the benchmark publishes them) or from running the
task's canonical reference through the same sandbox (as EvalPlus does), kept in the results
store. The sample's process only ever receives inputs; the parent compares (`equality`), or
hands the outputs to the task's checker in a separate sandboxed process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import marshal
import math
import statistics
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

from perfjudge import meters, store
from perfjudge.engine import harness, runner, sandbox, wire
from perfjudge.engine.equality import compare, short_repr
from perfjudge.engine.languages import get_language
from perfjudge.engine.runner import HarnessRun, MeasuredCall, exit_description
from perfjudge.engine.sandbox import Limits
from perfjudge.errors import JudgeFault
from perfjudge.meters import Meter
from perfjudge.records.result import CheckResult, TestFailure
from perfjudge.records.task import Reference, Task, TestCase, sha256_text


DERIVED_MARSHAL_VERSION = 2
DERIVED_MARSHAL = b"perfjudge-marshal-2\n"
"""Marks a derived-data blob as marshal bytes, so an old store's text blob or a foreign blob
is never fed to marshal. Format 2, the wire's: no back-references, so no two places of a
decoded value share one list, as with JSON; its layout of plain data is the same in every
Python 3."""


class DerivedCache(Protocol):
    """Where expected outputs, generated inputs and the machine's speed are kept between
    runs: the results store (`store.Store`, its ``blobs`` table), so that one database holds
    everything a run derived and several processes share it safely (WAL)."""

    def get_blob(self, key: str) -> Any | None: ...

    def put_blob(self, key: str, value: Any) -> Any: ...


class EngineError(JudgeFault):
    """The task itself cannot be judged (its reference fails, its generator crashes)."""


@dataclass
class Engine:
    """Sandbox settings plus the caches that make repeated checks cheap."""

    limits: Limits = field(default_factory=Limits)
    cache: DerivedCache = field(default_factory=store.Store)
    cpu: int | None = None
    _expected: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False,
                                   compare=False)
    """Tests with expected outputs, by task and reference, kept in memory: a worker that
    prepares a task and then checks its samples decodes them once (they are thousands of
    values for a HumanEval+ task)."""
    _wire: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False,
                               compare=False)
    _wire_bytes: int = field(default=0, init=False, repr=False, compare=False)
    _largest: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def check(self, task: Task, code: str, meter: str | None = None,
              limits: Limits | None = None) -> CheckResult:
        return check_solution(task, code, meter=meter, limits=limits, engine=self)

    def machine_speed(self) -> float:
        """This machine's CPU time for a fixed piece of Python over the development machine's
        (`NOMINAL_CALIBRATION_SECONDS`): above 1 this machine is slower. Time limits that
        are not relative to a reference measured here (EvalPlus's 1 s floor, ENAMEL's
        tolerance) are scaled by it, so a verdict does not depend on the machine's speed.
        Measured once per machine (CPU time: load barely moves it) and cached."""
        key = "machine-speed-" + sha256_text(store.machine_fingerprint() + sandbox.probe().python
                                             + CALIBRATION)
        return float(self._cached(key, self._calibrate))

    def _calibrate(self) -> float:
        job = {"mode": "function", "code": CALIBRATION, "entry_point": "calibrate",
               "inputs": [_wire_input([CALIBRATION_N])] * 6}
        run = runner.run_harness(job, limits=self.limits.scaled(4), cpu=self.cpu)
        times = [c.self_cpu_ns for c in run.costs if c.self_cpu_ns]
        if run.status != "ok" or len(times) < 6:
            raise EngineError(f"could not calibrate this machine's speed: {run.status} "
                              f"{run.detail}")
        return statistics.median(times[1:]) / 1e9 / NOMINAL_CALIBRATION_SECONDS

    def valgrind_baseline(self, task: Task, inputs: list[bytes], preload: list[str],
                          limits: Limits) -> list[MeasuredCall]:
        """The do-nothing module's valgrind calls on these inputs (``null`` per input, and
        ``load-null`` for a function task): what every measured call is charged above.

        They run once, in a job of their own, and are kept as derived data. What decides
        them is the interpreter, the harness, valgrind, the preloaded modules and the
        input bytes, never the sample: in the sample's own zygote they moved by up to a few
        hundred instructions with the sample's code (the zygote compiles it), so the same
        input had a different baseline for every sample. Kept apart, every sample, in any
        order and in any run, is charged above the same counts, and a check makes half the
        valgrind calls. The CPU time kept with them (for `_check_counts_against_cpu`) is
        this machine's, so the key names the machine."""
        identity = [BASELINE_FORMAT, store.machine_fingerprint(),
                    sandbox.interpreter_identity(sandbox.probe().python),
                    meters.get_meter("valgrind").availability()[1], sandbox.harness_dir().name,
                    task.kind, task.entry_point, task.language, preload,
                    [hashlib.sha256(x).hexdigest() for x in inputs]]
        key = "valgrind-baseline-" + sha256_text(json.dumps(identity))
        rows = self._cached(key, lambda: self._baseline_run(task, inputs, preload, limits))
        return [MeasuredCall(n=-1, kind=kind, index=index, repeat=0, exit_code=0,
                             cpu_ns=cpu_ns, instructions=count)
                for kind, index, count, cpu_ns in rows]

    def _baseline_run(self, task: Task, inputs: list[bytes], preload: list[str],
                      limits: Limits) -> list[list]:
        calls = ([("load-null", -1, 0)] if task.kind == "function" else []) + \
            [("null", i, 0) for i in range(len(inputs))]
        job = {"mode": "measure", "kind": task.kind, "code": "", "entry_point": task.entry_point,
               "inputs": inputs, "calls": calls, "preload": preload, "language": task.language,
               "cpu_seconds": limits.test_seconds, "partner": None, "output_caps": {},
               "cpu_limits": {}}
        run = runner.run_harness(job, limits=limits, valgrind=True, cpu=self.cpu)
        bad = [c for c in run.calls if not c.started or c.exit_code != 0 or c.record_error
               or c.instructions is None]
        if run.status != "ok" or len(run.calls) != len(calls) or bad:
            why = run.detail or (bad[0].record_error or exit_description(bad[0].exit_code)
                                 if bad else "it ended early")
            raise EngineError(f"{task.task_id}: the valgrind baseline run failed: {why}")
        return [[c.kind, c.index, c.instructions, c.cpu_ns] for c in run.calls]

    def expected_wire(self, test: TestCase) -> tuple[bytes | None, bool]:
        """The expected output as the harness writes it (marshal format 2), and whether
        an output of exactly these bytes matches it (false when it holds a NaN, which
        equals nothing, so only the full comparison decides); None when it has none.

        A sample's output that is byte for byte the expected one needs no decoding: it
        would decode to an equal value. HumanEval/130's outputs are 90 MB of mixed ints and
        floats, whose layout check and decoding cost the parent 2 s a check. Kept per test
        object (the memo of filled-in tests keeps those alive) up to `WIRE_MEMO_BYTES`."""
        if isinstance(test, ReferenceOutputTest):
            return test.wire, test.exact
        key = id(test)  # an entry holds its test, so no other live object has this id
        hit = self._wire.get(key)
        if hit is not None:
            self._wire.move_to_end(key)
            return hit[1], hit[2]
        data, exact = None, False
        if test.has_expected or test.expected is not None:
            try:
                data = marshal.dumps(test.expected, harness.WIRE_VERSION)
            except ValueError:
                data = None
        if data is not None:
            exact = _bytes_decide(data, test.expected)
        size = len(data) if data is not None else 0
        self._wire[key] = (test, data, exact, size)
        self._wire_bytes += size
        while self._wire_bytes > WIRE_MEMO_BYTES and len(self._wire) > 1:
            _, old = self._wire.popitem(last=False)
            self._wire_bytes -= old[3]
        return data, exact

    def prepare(self, task: Task) -> None:
        """Derive, once and before its samples, what every check of the task needs (the
        expected outputs, generated inputs and the reference's CPU seconds). A marker kept
        with them says they are already in the store, so a warm run does not decode
        hundreds of megabytes only to learn that; a check that finds them missing after all
        derives them itself."""
        if self.prepared(task):
            return
        tests = self.correctness_tests(task)
        if task.performance_tests or task.performance_generator is not None:
            tests = tests + self.performance_tests(task)
        # (otherwise the performance tests are correctness tests, chosen when a meter needs
        # them: ranking HumanEval+'s 124,253 inputs by size takes 2 s)
        self.cache.put_blob(self._prepared_key(task), json.dumps(
            {"reference_seconds": sum(t.reference_seconds or 0.0 for t in tests)}).encode())

    def estimated_seconds(self, task: Task) -> float | None:
        """The reference's CPU seconds over the task's tests, as `prepare` kept them (None
        before): executors start the heaviest tasks first."""
        blob = self.cache.get_blob(self._prepared_key(task))
        try:
            return float(json.loads(blob)["reference_seconds"])
        except (TypeError, ValueError, KeyError):
            return None

    def prepared(self, task: Task) -> bool:
        """Whether `prepare` already ran for this task with this store on this machine."""
        return self.cache.get_blob(self._prepared_key(task)) is not None

    @staticmethod
    def _prepared_key(task: Task) -> str:
        ref = task.canonical
        return "prepared-" + sha256_text(PREPARED_FORMAT + task.fingerprint()
                                         + (sha256_text(ref.code) if ref else "")
                                         + store.machine_fingerprint())

    # ------------------------------------------------------------------ derived data

    def _cached(self, key: str, compute, older: str | None = None) -> Any:
        """Derived data is kept as marshal bytes: HumanEval+'s expected outputs (244 MB)
        decode in 1.4 s against 4.6 s from tagged JSON, whose big ints parse in quadratic
        time (`perf/derived_data.py`). Text blobs, from older stores, are tagged JSON.
        ``older``: the key an earlier format of the same data was kept under, read (not
        copied) when ``key`` is missing; a new format gets a new key, so that an older
        perfjudge on the same store never misreads it."""
        blob = self.cache.get_blob(key)
        if blob is None and older is not None:
            blob = self.cache.get_blob(older)
            key = older if blob is not None else key
        if isinstance(blob, bytes):
            try:
                if blob.startswith(DERIVED_MARSHAL):
                    return marshal.loads(blob[len(DERIVED_MARSHAL):])
            except (EOFError, ValueError, TypeError):
                pass
            raise EngineError(f"the store's derived data {key!r} is damaged or not "
                              "perfjudge's; delete that row or use another --store")
        if blob is not None:
            return harness.loads(blob)
        value = compute()
        self.cache.put_blob(key, DERIVED_MARSHAL + marshal.dumps(value, DERIVED_MARSHAL_VERSION))
        return value

    def correctness_tests(self, task: Task) -> list[TestCase]:
        """The task's tests with expected outputs filled in."""
        tests = list(task.tests)
        if task.comparison.kind == "replay":
            tests = self._recorded_tests(task)  # every call the test makes, not just literals
        elif not tests and task.performance_generator is not None:
            return self.performance_tests(task)  # ENAMEL: level 0 is generated too
        return self._with_expected(task, tests, "correctness")

    def performance_tests(self, task: Task) -> list[TestCase]:
        """The task's performance inputs; for a task without any, its largest correctness
        inputs (EvalPerf likewise profiles the most expensive inputs)."""
        tests = list(task.performance_tests)
        if task.performance_generator is not None:
            tests += self._generated_tests(task)
        if not tests:
            correctness = self.correctness_tests(task)
            chosen = self._largest.get(task.fingerprint())
            if chosen is None:  # encoding HumanEval+'s 124,253 inputs to rank them takes 2 s
                chosen = self._largest[task.fingerprint()] = largest_inputs(correctness)
            return [correctness[i] for i in chosen]
        return self._with_expected(task, tests, "performance")

    def _with_expected(self, task: Task, tests: list[TestCase], name: str) -> list[TestCase]:
        """Fill in expected outputs from the canonical reference (EvalPlus's approach) and
        record its wall time per input, from which per-test time limits are derived."""
        ref = task.canonical
        # the task (its fingerprint) decides which tests these are
        memo = (name, task.fingerprint(), sha256_text(ref.code) if ref else "")
        if memo in self._expected:
            self._expected.move_to_end(memo)
            return list(self._expected[memo])
        filled = self._fill_expected(task, tests, name, ref)
        self._expected[memo] = tuple(filled)
        while len(self._expected) > EXPECTED_MEMO:
            self._expected.popitem(last=False)
        return filled

    def _fill_expected(self, task: Task, tests: list[TestCase], name: str,
                       ref: Reference | None) -> list[TestCase]:
        missing = [i for i, t in enumerate(tests) if not t.has_expected]
        if ref is None:
            if missing:
                raise EngineError(f"{task.task_id}: tests without expected outputs and no reference")
            return tests
        inputs = [t.input for t in tests]
        # CPU seconds set time limits, so they are this machine's own (the store may be shared
        # or copied between machines; expected outputs could be, seconds cannot)
        # the task's fingerprint decides these tests (their inputs are in it, or made from
        # it by a seeded generator)
        digest = sha256_text(task.fingerprint() + name + sha256_text(ref.code)
                             + str(len(inputs)) + store.machine_fingerprint())
        run = self._cached("reference-wire-" + digest,
                           lambda: self._reference_run(task, ref.code, inputs),
                           older="reference-cpu-" + digest)  # outputs decoded in the entry
        failed = set(run["failed"])
        if failed & set(missing):
            raise EngineError(f"{task.task_id}: the reference solution failed to produce "
                              f"outputs: {run['error']}")
        if "wire" in run:
            return [TestCase(t.input, t.expected, True, t.level, t.weight, reference_seconds=sec)
                    if t.has_expected else ReferenceOutputTest(t, data, exact, sec)
                    for t, data, exact, sec in zip(tests, run["wire"], run["exact"],
                                                   run["seconds"])]
        # an older store's entry: the outputs decoded
        return [TestCase(t.input, t.expected if t.has_expected else out, True, t.level, t.weight,
                         reference_seconds=sec)
                for t, out, sec in zip(tests, run["outputs"], run["seconds"])]

    def _reference_run(self, task: Task, code: str, inputs: list[Any]) -> dict[str, Any]:
        """The reference's output per input as its harness wrote it (``wire``; checked to be
        plain data here, once), whether those bytes decide equality (``exact``, see
        `Engine.expected_wire`), and its CPU seconds; ``failed`` lists inputs it produced
        nothing for (harmless where the benchmark publishes expected outputs)."""
        run = runner.run_harness(_job(task, code, inputs), limits=self.limits.scaled(4),
                                 cpu=self.cpu)
        outs = {e["i"]: e for e in run.of("out") if e.get("plain")}
        seconds: list[float | None] = [None] * len(inputs)
        for cost in run.costs:
            if 0 <= cost.index < len(inputs) and cost.call == 0:
                # The reference is trusted, so its self-reported CPU time will do here; it
                # spares a parent round trip per input (124,253 on HumanEval+).
                ns = cost.self_cpu_ns if cost.self_cpu_ns is not None else cost.wall_ns
                seconds[cost.index] = ns / 1e9
        outputs: list[bytes | None] = []
        exact: list[bool] = []
        failed: list[int] = []
        for i in range(len(inputs)):
            try:
                data = outs[i]["value"]
                value = wire.loads(data)
            except (KeyError, wire.WireError):
                outputs.append(None)
                exact.append(False)
                failed.append(i)
                continue
            outputs.append(data)
            exact.append(_bytes_decide(data, value))
        error = f"{run.status}: {run.detail or _first_error(run)}" if failed else ""
        return {"wire": outputs, "exact": exact, "seconds": seconds, "failed": failed,
                "error": error}

    def _recorded_tests(self, task: Task) -> list[TestCase]:
        ref = task.canonical
        if ref is None:
            raise EngineError(f"{task.task_id}: replay tests need a reference solution")
        key = "recorded-" + sha256_text(task.fingerprint() + (task.comparison.checker or ""))

        def record() -> list[list[Any]]:
            job = {"mode": "record", "code": task.comparison.checker, "reference": ref.code,
                   "entry_point": task.entry_point}
            run = runner.run_harness(job, limits=self.limits.scaled(4), cpu=self.cpu)
            verdicts = run.of("verdict")
            if not verdicts or not verdicts[0]["ok"]:
                raise EngineError(f"{task.task_id}: the reference fails its own test: "
                                  f"{verdicts[0] if verdicts else run.detail}")
            seen: dict[str, list[Any]] = {}
            for event in run.of("call"):
                args = wire.loads(event["args"])
                seen.setdefault(harness.dumps(args), [args, wire.loads(event["value"])])
            return list(seen.values())

        return [TestCase(args, out, True) for args, out in self._cached(key, record)]

    def _generated_tests(self, task: Task) -> list[TestCase]:
        gen = task.performance_generator
        assert gen is not None
        key = "generated-" + sha256_text(task.fingerprint() + gen.source + repr(gen.calls)
                                         + str(gen.seed))

        def generate() -> list[Any]:
            job = {"mode": "generate", "code": gen.source, "entry_point": gen.entry,
                   "seed": gen.seed, "inputs": [_wire_input(list(args)) for _, args in gen.calls]}
            run = runner.run_harness(job, limits=self.limits.scaled(4), cpu=self.cpu)
            outs = sorted(run.of("out"), key=lambda e: e["i"])
            if len(outs) != len(gen.calls):
                raise EngineError(f"{task.task_id}: the input generator failed "
                                  f"({run.status}: {run.detail or _first_error(run)})")
            return [wire.loads(e["value"]) for e in outs]

        values = self._cached(key, generate)
        tests = []
        for (level, _), value in zip(gen.calls, values):
            if task.kind == "function" and isinstance(value, tuple):
                value = list(value)
            elif task.kind == "function" and not isinstance(value, list):
                value = [value]
            tests.append(TestCase(value, None, False, level))
        return tests


FALLBACK_PERFORMANCE_TESTS = 10


EXPECTED_MEMO = 256
"""Tasks whose filled-in tests an engine keeps in memory."""

WIRE_MEMO_BYTES = 256 << 20
"""Bytes of expected outputs in wire form an engine keeps (`Engine.expected_wire`)."""

PREPARED_FORMAT = "1"
"""Part of `Engine.prepare`'s marker key: bump it when what a task derives changes."""


def _bytes_decide(data: bytes, value: Any) -> bool:
    """Whether an output of exactly ``data``, the wire form of ``value``, passes the full
    comparison: not when ``value`` holds a NaN (which equals nothing), nor when it nests so
    deep that comparing it raises RecursionError (a wrong answer there). Without a float or
    complex code byte, and with fewer container code bytes than could nest that deep, it
    does; otherwise a fresh decoding is compared with it, as the full comparison would
    (list and dict comparisons take identical objects as equal, fresh ones are not)."""
    if b"g" not in data and b"y" not in data and \
            sum(data.count(code) for code in (b"[", b"(", b"{", b"<", b">")) < SHALLOW:
        return True
    try:
        return bool(marshal.loads(data) == value)
    except (RecursionError, ValueError, EOFError, TypeError):
        return False


SHALLOW = 100
"""Container code bytes below this cannot nest near the recursion limit (each level takes
one); more send `_bytes_decide` to a full comparison (payload bytes that happen to equal a
code only cost that)."""


class ReferenceOutputTest(TestCase):
    """A filled-in test whose expected output is the reference's, kept as the bytes its
    harness wrote and decoded only when ``expected`` is read. A warm HumanEval+ run decoded
    244 MB of expected outputs (2.5 s of CPU) to compare them with outputs that were, byte
    for byte, those bytes (`Engine.expected_wire`): now only a failing test is decoded."""

    def __init__(self, test: TestCase, data: bytes, exact: bool,
                 reference_seconds: float | None):
        self.__dict__.update(input=test.input, has_expected=True, level=test.level,
                             weight=test.weight, reference_seconds=reference_seconds,
                             wire=data, exact=exact)  # a frozen dataclass: not by setattr

    @property  # type: ignore[override]
    def expected(self) -> Any:
        try:
            return self.__dict__["_decoded"]
        except KeyError:
            value = marshal.loads(self.wire)  # checked to be plain data when it was made
            object.__setattr__(self, "_decoded", value)
            return value


def largest_inputs(tests: list[TestCase], k: int = FALLBACK_PERFORMANCE_TESTS) -> list[int]:
    """Indices of the ``k`` inputs with the longest encoding, in their original order."""
    sizes = [len(harness.dumps(t.input)) for t in tests]
    ranked = sorted(range(len(tests)), key=lambda i: (-sizes[i], i))[:k]
    return sorted(ranked)


_DEFAULT_ENGINE: Engine | None = None


def default_engine() -> Engine:
    global _DEFAULT_ENGINE
    if _DEFAULT_ENGINE is None:
        _DEFAULT_ENGINE = Engine()
    return _DEFAULT_ENGINE


def _wire_input(value: Any) -> bytes:
    try:
        return marshal.dumps(value, harness.WIRE_VERSION)
    except ValueError as exc:
        raise EngineError(f"a test input is not plain data: {exc}") from None


def _job(task: Task, code: str, inputs: list[Any], **extra: Any) -> dict:
    encoded = [_wire_input(x if task.kind == "program" else list(x)) for x in inputs]
    if task.kind == "program":
        return {"mode": "program", "code": code, "inputs": encoded,
                "language": task.language, **extra}
    return {"mode": "function", "code": code, "entry_point": task.entry_point,
            "inputs": encoded, "preload": imported_modules(code, task.language),
            "language": task.language, **extra}


def imported_modules(code: str, language: str = "python") -> list[str]:
    """What the zygote loads before the sample (`languages.Language.preload`)."""
    return get_language(language).preload(code)


def _first_error(run: HarnessRun) -> str:
    for event in run.events:
        if event.get("type"):
            return f"{event['type']}: {event.get('message', '')}"
    return runner.exit_description(run.exit_code)


def check_solution(task: Task, code: str, *, meter: str | None = None,
                   limits: Limits | None = None, engine: Engine | None = None,
                   paired_with: Reference | None = None) -> CheckResult:
    """Judge ``code`` on ``task``: a verdict from the correctness tests, then, if it passed
    and a meter is given (not ``none``), the cost of each performance test (or of the
    correctness tests when the task has none). With a time meter and ``paired_with`` (a reference of the task), the
    reference is measured in the same sandbox, round by round between the sample's calls, and
    ``result.paired`` gives the speedup with its interval."""
    engine = engine or default_engine()
    limits = limits or engine.limits
    caps = sandbox.probe()
    isolation = {"missing": list(caps.missing)}
    started = time.perf_counter()
    try:
        tests = engine.correctness_tests(task)
    except EngineError as exc:
        return CheckResult(task.task_id, "sandbox_error", detail=str(exc), isolation=isolation)
    try:
        speed = engine.machine_speed()
    except EngineError as exc:
        return CheckResult(task.task_id, "sandbox_error", detail=str(exc), isolation=isolation)
    if task.censoring is not None:
        limit = censored_limit(task, tests, speed)
        result, _ = _judge(task, code, tests, engine, limits, "correctness",
                           deadlines=[limit] * len(tests) if limit else None, timing=True,
                           censor_limit=limit)
    else:
        found = per_test_limits(tests, limits, task.timeout_factor, speed,
                                task.time_floor_seconds)
        result, _ = _judge(task, code, tests, engine, limits, "correctness",
                           deadlines=found[0] if found else None,
                           rules=found[1] if found else None)
    measures = bool(meter) and meters.get_meter(meter).measures  # type: ignore[arg-type]
    if result.verdict == "passed" and measures:
        m = meters.get_meter(meter)  # type: ignore[arg-type]
        try:
            perf = engine.performance_tests(task)
        except EngineError as exc:
            perf = []
            result.verdict, result.detail = "sandbox_error", str(exc)
        if result.censored_level is not None:
            perf = perf[:_level_start(task, perf, result.censored_level)]
        deadlines = None
        if perf and m.valgrind:
            # A native pass first: wrong outputs and hopeless slowness show up in seconds
            # instead of after a 30-70x slower valgrind run, and its CPU times bound that run.
            native, run = _judge(task, code, perf, engine, limits, "performance", timing=True)
            if native.verdict != "passed":
                native.tests_run += result.tests_run
                native.tests_passed += result.tests_passed
                perf, result = [], native
            else:
                cpu = {c.index: c.cpu_ns / 1e9 for c in run.costs if c.cpu_ns is not None}
                # every measured call loads the module too: its native load time counts
                load = next((e.get("self_cpu_ns") for e in run.of("loaded")), None)
                load_s = load / 1e9 if isinstance(load, int) and load > 0 else 0.0
                if len(cpu) == len(perf):
                    deadlines = [VALGRIND_SLOWDOWN * (cpu[i] + load_s) + limits.min_test_seconds
                                 for i in range(len(perf))]
        if perf:
            partner = paired_with if paired_with is not None and m.paired else None
            measured = _measure(task, code, perf, engine, limits, m, deadlines, partner)
            if measured.verdict != "passed":
                measured.tests_run += result.tests_run
                measured.tests_passed += result.tests_passed
                result = measured
            else:
                result.measurements = measured.measurements
                result.peak_memory_bytes = measured.peak_memory_bytes
                result.meter, result.unit = m.name, m.unit
                result.total_cost = sum(x.value for x in measured.measurements)
                result.load_cost = measured.load_cost
                result.paired = measured.paired
                result.warnings = measured.warnings
                result.stdout_tail = (result.stdout_tail + measured.stdout_tail)[-2000:]
                result.stderr_tail = (result.stderr_tail + measured.stderr_tail)[-2000:]
                if result.load_cost is not None and result.total_cost and \
                        result.load_cost > 0.5 * result.total_cost:
                    result.warnings.append(
                        f"loading the module cost {result.load_cost:.4g} {m.unit}, more than "
                        "half of the measured total: the solution works at import time "
                        "(charged, since every measured call loads the module)")
    if meter and len(code.encode("utf-8", "surrogatepass")) > LARGE_SOURCE:
        result.warnings.append(
            f"the solution is {len(code) >> 10} KiB of source: literal data is built when it "
            "is compiled, outside every meter; check that it is not a table of answers")
    result.tests_total = len(tests)
    result.wall_seconds = time.perf_counter() - started
    result.isolation = isolation
    return result


VALGRIND_SLOWDOWN = 1000.0
"""CPU-time budget of a valgrind-measured test, as a multiple of its native CPU time. Most
Python runs 30-70x slower under callgrind, but code whose C library calls use SIMD natively
runs the generic versions under valgrind's CPU: ENAMEL HumanEval/18's canonical slice-compare
loop took 0.037 s natively and ~18 s under callgrind (~490x) per test, and at 100x it was
killed as a timeout although it had passed natively: the judge's budget blamed on the
sample. A sample cannot use the budget to hide work: the count is what it executed."""

RUN_MISMATCH = 3.0
"""When one run of a repeated call costs this many times the median of its runs, the
dearest is charged (see `_measurements`)."""

LARGE_SOURCE = 64 << 10
"""A solution longer than this (bytes) is flagged: its literals are built at compile time,
outside every meter, which is how a table of answers would hide."""

BASELINE_FORMAT = 1
"""Version of the kept valgrind baselines (`Engine.valgrind_baseline`)."""

NOISY_CV = 0.10
"""A time measurement whose repeats spread more than this (coefficient of variation) is
reported with a warning: the machine was busy, or the sample's cost varies."""


JUDGE_ATTEMPTS = 2
"""Runs of one correctness pass when the judge fell behind the sample (`HarnessRun.behind`):
the machine's fault, so the sample is judged again before a ``sandbox_error`` is reported."""


def _judge(task: Task, code: str, tests: list[TestCase], engine: Engine, limits: Limits,
           phase: str, deadlines: list[float] | None = None,
           timing: bool = False, censor_limit: float | None = None,
           rules: list[str] | None = None) -> tuple[CheckResult, HarnessRun]:
    """One sandboxed run over ``tests`` in one child (correctness, or the native pass over
    the performance inputs): its verdict. ``deadlines`` are per-test CPU-time limits;
    ``timing`` records each call's CPU time."""
    extra: dict[str, Any] = {}
    if task.kind == "program":
        extra["max_output_bytes"] = limits.max_output_bytes
    try:
        job = _job(task, code, [t.input for t in tests], **extra)
    except EngineError as exc:
        return CheckResult(task.task_id, "sandbox_error", detail=f"{task.task_id}: {exc}"), \
            HarnessRun("sandbox_error")
    for _ in range(JUDGE_ATTEMPTS):
        run = runner.run_harness(job, limits=limits, deadlines=deadlines, measure=timing,
                                 cpu=engine.cpu)
        if not run.behind:
            break
    result = CheckResult(task.task_id, "passed", stdout_tail=_text(run.stdout),
                         stderr_tail=_text(run.stderr), peak_memory_bytes=run.peak_bytes)
    cut = _censor_point(task, tests, run, censor_limit) if censor_limit is not None else None
    if cut is not None:
        return _censored_verdict(task, tests, run, result, phase, engine, cut, censor_limit), run
    _verdict_from_events(task, tests, run, result, phase, engine)
    if result.verdict == "timeout" and rules and result.failure is not None and \
            0 <= result.failure.index < len(rules) and "CPU time limit" in result.detail:
        result.detail += f" (the limit is {rules[result.failure.index]})"
    return result, run


_CENSORING_ERRORS = ("OverflowError", "MemoryError")


def _censor_point(task: Task, tests: list[TestCase], run: HarnessRun,
                  limit: float) -> tuple[int, str] | None:
    """Where ENAMEL's run would have stopped: the first test that timed out (killed at the
    limit, or measured over it), ran out of memory, or raised OverflowError; and why."""
    points = []
    for event in run.events:
        if event["e"] == "done" and not event.get("ok", True) and \
                event.get("type") in _CENSORING_ERRORS and isinstance(event.get("i"), int):
            points.append((event["i"], f"raised {event.get('type')}"))
            break
    for cost in run.costs:
        if cost.call == 0 and cost.cpu_ns is not None and cost.cpu_ns / 1e9 > limit:
            points.append((cost.index, f"took {cost.cpu_ns / 1e9:.3g} s of CPU, over the "
                           f"limit of {limit:.3g} s"))
            break
    if run.status in ("timeout", "memory_limit") and isinstance(run.pending, int):
        why = "ran out of memory" if run.status == "memory_limit" else \
            f"was stopped at the limit of {limit:.3g} s"
        points.append((run.pending, why))
    points = [p for p in points if 0 <= p[0] < len(tests)]
    return min(points) if points else None


def _censored_verdict(task: Task, tests: list[TestCase], run: HarnessRun, result: CheckResult,
                      phase: str, engine: Engine, cut: tuple[int, str],
                      limit: float) -> CheckResult:
    """ENAMEL's verdict when its run would have stopped at test ``cut``: the earlier tests
    decide (a wrong output or another error fails), then a stop on the first level fails
    and a stop on a later one passes with that level and the later ones censored."""
    index, why = cut
    rule = task.censoring
    assert rule is not None
    before = dataclasses.replace(run, status="ok", events=[
        e for e in run.events if not (isinstance(e.get("i"), int) and e["i"] >= index)
        and e["e"] not in ("end",)] + [{"e": "end"}], pending=None)
    _verdict_from_events(task, tests[:index], before, result, phase, engine)
    if result.verdict != "passed":
        return result
    level = tests[index].level
    rule_text = (f"ENAMEL's limit, {rule.alpha:g} x the slowest reference over the counting "
                 f"levels + {rule.tolerance_seconds:g} s = {limit:.3g} s")
    if level == rule.levels[0] or level not in rule.levels:
        verdict = "memory_limit" if "memory" in why else "timeout"
        return _fail(result, verdict, f"test {index} (first level, {level}) {why}: on the "
                     f"first level that fails ({rule_text})", tests, index, phase)
    result.censored_level, result.censored_at = level, index
    result.detail = (f"passed; from {level} on censored: test {index} {why} ({rule_text}), so "
                     f"{level} and later levels score 0, as ENAMEL scores them")
    result.tests_run = index
    return result


def _measure(task: Task, code: str, tests: list[TestCase], engine: Engine, limits: Limits,
             meter: Meter, deadlines: list[float] | None,
             partner: Reference | None = None) -> CheckResult:
    """Every measured call in its own fresh child, each next to the same call of a
    do-nothing module (``null``), interleaved (null, sample, null, sample, ...) so drift of
    the machine falls on both; for function tasks also the module load alone. Under valgrind
    (which no drift moves) the null calls are one job's of their own, kept
    (`Engine.valgrind_baseline`), and the sandbox runs the sample's calls alone. With a
    ``partner`` (time meters), each round also measures it, before or after the sample by
    turns, so neither always runs on the cache the other left."""
    run_limits = limits.scaled(60) if meter.valgrind else limits
    try:
        inputs = [_wire_input(t.input if task.kind == "program" else list(t.input))
                  for t in tests]
    except EngineError as exc:
        return CheckResult(task.task_id, "sandbox_error", detail=f"{task.task_id}: {exc}")
    # the partner's imports too, or it would pay for them inside its windows
    preload = sorted(set(imported_modules(code, task.language))
                     | set(imported_modules(partner.code, task.language) if partner else ()))
    baseline: list[MeasuredCall] | None = None
    if meter.valgrind and partner is None and task.language == "python":
        try:
            baseline = engine.valgrind_baseline(task, inputs, preload, run_limits)
        except EngineError as exc:
            return CheckResult(task.task_id, "sandbox_error", detail=str(exc))
    # paired: an even number of measured rounds, so each of the two goes first equally often
    rounds = meter.warmup + meter.repeats + (meter.repeats % 2 if partner is not None else 0)
    calls: list[tuple[str, int, int]] = []
    if task.kind == "function":
        calls += [("load", -1, 0)] if baseline is not None else \
            [("load-null", -1, 0), ("load", -1, 0)]
    for i in range(len(tests)):
        for r in range(rounds):
            pair = [("sample", i, r)] if partner is None else \
                [("sample", i, r), ("partner", i, r)][::1 if (r - meter.warmup) % 2 else -1]
            # sample and partner alternate which goes first
            calls += pair if baseline is not None else [("null", i, r)] + pair
    job = {"mode": "measure", "kind": task.kind, "code": code, "entry_point": task.entry_point,
           "inputs": inputs, "calls": calls,
           "preload": preload,
           "language": task.language,
           "cpu_seconds": run_limits.test_seconds,
           "partner": partner.code if partner is not None else None,
           "output_caps": {i: c for i, t in enumerate(tests)
                           if (c := _output_cap(task, t, engine)) is not None},
           "cpu_limits": {i: d for i, d in enumerate(deadlines)} if deadlines else {}}
    run = runner.run_harness(job, limits=run_limits, valgrind=meter.valgrind,
                             measure=not meter.valgrind, counter=meter.name == "instructions",
                             cpu=engine.cpu, deadlines=deadlines)
    if baseline is not None and run.status == "ok" and len(run.calls) == len(calls):
        run.calls.extend(baseline)
    result = CheckResult(task.task_id, "passed", stdout_tail=_text(run.stdout),
                         stderr_tail=_text(run.stderr), peak_memory_bytes=run.peak_bytes)
    _verdict_from_calls(task, tests, run, result, engine, calls)
    if result.verdict == "passed" and meter.valgrind:
        _check_counts_against_cpu(run, result, tests, engine)
    if result.verdict != "passed":
        return result
    _measurements(meter, run, tests, result)
    if partner is not None:
        result.paired = _paired(meter, run, len(tests), partner.name)
    if len(result.measurements) != len(tests):
        result.verdict = "sandbox_error"
        result.detail = (f"{meter.name} produced {len(result.measurements)} of "
                         f"{len(tests)} measurements")
    return result


CALIBRATION = """
def calibrate(n):
    table = {}
    total = 0
    for i in range(n):
        total = (total * 31 + i) % 1000003
        table[i % 1024] = total
    return total + len(str(sorted(table.items())))
"""
CALIBRATION_N = 3_000_000
NOMINAL_CALIBRATION_SECONDS = 0.188
"""CPU seconds of ``calibrate(CALIBRATION_N)`` on the development machine (an Intel Xeon VM,
Python 3.11.2), where perfjudge's absolute limits were chosen: speed factor 1.0."""


def censored_limit(task: Task, tests: list[TestCase], speed: float = 1.0) -> float | None:
    """ENAMEL's one time limit for every test (enam/evaluate.py ``evaluate1``): alpha x the
    slowest reference time over the levels with positive hardness, plus the tolerance. The
    reference is measured on this machine, so the limit moves with the machine's speed."""
    rule = task.censoring
    assert rule is not None
    counting = {name for name, h in zip(rule.levels, rule.hardness) if h > 0}
    times = [t.reference_seconds for t in tests
             if t.level in counting and t.reference_seconds is not None]
    if not times:
        return None
    return rule.alpha * max(times) + rule.tolerance_seconds * speed


def _level_start(task: Task, tests: list[TestCase], level: str) -> int:
    """Index of the first test of ``level`` (tests run level by level)."""
    return next((i for i, t in enumerate(tests) if t.level == level), len(tests))


def per_test_limits(tests: list[TestCase], limits: Limits, factor: float,
                    speed: float = 1.0, floor_seconds: float | None = None
                    ) -> tuple[list[float], list[str]] | None:
    """EvalPlus's per-test time limit, ``max(floor, factor x reference time)``, capped by
    ``test_seconds``, with the rule that decided each one (for the verdict's detail).

    Deliberate differences from EvalPlus: both times are CPU time (cgroup) rather than wall
    time, so a loaded machine does not turn passes into timeouts; and the 1 s floor is
    scaled by the machine's speed (`Engine.machine_speed`), since a fixed number of seconds
    passes on a fast machine what it fails on a slow one (EvalPlus issue #5). The reference
    part is measured on this machine already. Performance tests keep the generous
    ``test_seconds`` so a slow but correct sample is measured rather than cut off."""
    if not tests or any(t.reference_seconds is None for t in tests):
        return None
    base_floor = limits.min_test_seconds if floor_seconds is None else floor_seconds
    floor = base_floor * speed
    out, rules = [], []
    for t in tests:
        relative = factor * t.reference_seconds  # type: ignore[operator]
        if relative >= floor:
            limit, rule = relative, (f"{factor:g} x the reference's {t.reference_seconds:.3g} s "
                                     "on this machine")
        else:
            limit, rule = floor, (f"the floor: {base_floor:g} s x this machine's "
                                  f"speed factor {speed:.2f}")
        if limit > limits.test_seconds * speed:
            limit, rule = limits.test_seconds * speed, (f"the cap: {limits.test_seconds:g} s x "
                                                        f"this machine's speed factor {speed:.2f}")
        out.append(limit)
        rules.append(rule)
    return out, rules


def _text(data: bytes) -> str:
    return data[-2000:].decode("utf-8", "replace")


def _fail(result: CheckResult, verdict: str, detail: str, tests: list[TestCase], index: int | None,
          phase: str, **failure: Any) -> CheckResult:
    result.verdict = verdict  # type: ignore[assignment]
    result.detail = detail
    if index is not None and 0 <= index < len(tests):
        result.failure = TestFailure(index=index, input_repr=short_repr(tests[index].input),
                                     phase=phase, **failure)  # type: ignore[arg-type]
    return result


def _verdict_from_events(task: Task, tests: list[TestCase], run: HarnessRun,
                         result: CheckResult, phase: str, engine: Engine) -> CheckResult:
    """Walk the events of a run-mode child in order; the first problem decides the verdict."""
    outputs: dict[int, Any] = {}
    comparable = task.comparison.kind in ("exact", "atol") and task.kind == "function"
    for event in run.events:
        kind = event["e"]
        if kind == "compile_error":
            return _fail(result, "compile_error", f"{event.get('type')}: {event.get('message')}",
                         tests, None, phase)
        if kind in ("load_error", "harness_error"):
            return _fail(result, "runtime_error",
                         f"loading the solution raised {event.get('type')}: {event.get('message')}",
                         tests, None, phase, error_type=event.get("type"),
                         error_message=event.get("message"))
        if kind == "done" and not event.get("ok", False):
            i = event.get("i")
            if "exit" in event:
                return _program_exit(result, event["exit"], _stderr_hint(run), tests, i, phase)
            return _fail(result, "runtime_error", f"raised {event.get('type')}: "
                         f"{event.get('message')}", tests, i, phase,
                         error_type=event.get("type"), error_message=event.get("message"))
        if kind == "out":
            i = event.get("i")
            if not isinstance(i, int) or not 0 <= i < len(tests) or i in outputs:
                return _fail(result, "runtime_error", "the harness channel was tampered with",
                             tests, None, phase)
            if not event.get("plain", False):
                if task.comparison.kind == "checker":
                    outputs[i] = harness.Opaque(event.get("message", ""))
                    continue
                return _fail(result, "wrong_answer", f"returned {event.get('message')}",
                             tests, i, phase, error_type=event.get("type"))
            size = event.get("size")
            if task.kind == "program" and isinstance(size, int) and \
                    size > engine.limits.max_output_bytes:
                return _fail(result, "output_limit", f"printed {size} bytes, more than the "
                             f"{engine.limits.max_output_bytes >> 20} MiB allowed", tests, i,
                             phase)
            cap = _output_cap(task, tests[i], engine)
            if cap is not None and isinstance(event.get("value"), bytes) and \
                    len(event["value"]) > cap and task.kind == "function":
                return _fail(result, "wrong_answer", f"returned {len(event['value'])} bytes of "
                             "output: far larger than the expected output", tests, i, phase)
            if comparable and isinstance(event.get("value"), bytes):
                data, exact = engine.expected_wire(tests[i])
                if exact and event["value"] == data:
                    outputs[i] = SAME_AS_EXPECTED
                    continue
            try:
                outputs[i] = wire.loads(event["value"], _budget(tests[i], len(event["value"]),
                                                                engine))
            except (wire.WireError, KeyError) as exc:
                return _fail(result, "wrong_answer", f"returned malformed data: {exc}",
                             tests, i, phase)
    if run.status != "ok" or len(outputs) < len(tests):
        pending = run.pending if run.pending is not None else len(outputs)
        status_verdict = {"timeout": "timeout", "memory_limit": "memory_limit",
                          "output_limit": "output_limit", "sandbox_error": "sandbox_error"}
        verdict = status_verdict.get(run.status, "runtime_error")
        detail = run.detail or f"the process {exit_description(run.exit_code)}"
        if run.status == "ok":
            detail = f"the process ended before producing output for test {pending}"
        elif run.status == "protocol_error":
            detail = "the sample interfered with the harness channel: " + run.detail
        elif run.status == "crashed" and run.exit_code in (-24,):
            verdict, detail = "timeout", "killed by its CPU-time limit (SIGXCPU)"
        elif run.status == "crashed" and run.exit_code == runner.FORBIDDEN:
            detail = FORBIDDEN_FEATURE + ": " + _forbidden_detail(run.stderr)
        return _fail(result, verdict, detail, tests, pending, phase)
    result.tests_run = len(tests)
    return _compare_all(task, tests, outputs, result, phase, engine)


def _program_exit(result: CheckResult, code: int | None, hint: str, tests: list[TestCase],
                  i: int | None, phase: str) -> CheckResult:
    if code == -25:
        return _fail(result, "output_limit", "the program's output exceeded the file size "
                     "limit", tests, i, phase)
    if code == -24:
        return _fail(result, "timeout", "killed by its CPU-time limit (SIGXCPU)", tests, i, phase)
    if code == runner.FORBIDDEN:
        return _fail(result, "runtime_error", FORBIDDEN_FEATURE + hint, tests, i, phase)
    return _fail(result, "runtime_error", f"the program {exit_description(code)}" + hint,
                 tests, i, phase, error_message=hint.strip(": ").strip() or None)


FORBIDDEN_FEATURE = ("the sample used an interpreter feature that can rewrite its memory "
                     "(building code objects, unmarshalling, mmap), which is refused while a "
                     "sample runs")


FORBIDDEN_WHILE_MEASURED = ("creating processes and running programs are not allowed while a "
                            "call is measured (threads are): work in another process would go "
                            "uncounted")


def _verdict_from_calls(task: Task, tests: list[TestCase], run: HarnessRun,
                        result: CheckResult, engine: Engine,
                        calls: list[tuple[str, int, int]]) -> CheckResult:
    """Verdict of a measure-mode run: every sample call's exit and output (every repeat's
    output is checked, so a sample cannot answer right once and cheaply wrong after), and
    every baseline call's health (a failing baseline is the judge's problem)."""
    phase = "performance"
    for event in run.events:
        if event["e"] == "compile_error":
            return _fail(result, "compile_error", f"{event.get('type')}: {event.get('message')}",
                         tests, None, phase)
    outputs: dict[int, Any] = {}
    raw: dict[int, bytes | None] = {}
    for call in run.calls:
        i = call.index if call.index >= 0 else None
        if not call.started:
            detail = runner.launch_failure(call.stderr or run.stderr)
            return _fail(result, "sandbox_error", "the measured process could not be "
                         f"sandboxed ({exit_description(call.exit_code)}"
                         + (f": {detail}" if detail else "") + ")", tests, i, phase)
        if call.kind in ("null", "load-null", "partner"):
            # trusted code: the baseline, or the reference measured beside the sample
            if call.exit_code != 0 or call.record_error:
                what = "reference measured beside the sample" if call.kind == "partner" \
                    else "baseline call"
                return _fail(result, "sandbox_error", f"the {what} failed: "
                             + (call.record_error or exit_description(call.exit_code)),
                             tests, i, phase)
            continue
        verdict = _call_verdict(task, call, result, tests, i, phase, engine, run.stderr)
        if verdict is not None:
            return verdict
        if call.kind != "sample":
            continue
        if call.index in raw and raw[call.index] == call.output:
            continue  # the same bytes as an earlier repeat: decoded and checked once
        raw.setdefault(call.index, call.output)
        value = _call_output(task, call, result, tests, i, phase, engine)
        if isinstance(value, CheckResult):
            return value
        if call.index in outputs:
            if not _same_output(task, value, outputs[call.index]):
                return _fail(result, "wrong_answer", f"repeat {call.repeat} of performance test "
                             f"{call.index} returned a different output than the first",
                             tests, i, phase, output_repr=short_repr(value),
                             expected_repr=short_repr(outputs[call.index]))
            continue
        outputs[call.index] = value
    if run.status != "ok" or len(run.calls) < len(calls):
        pending = run.pending
        if pending is None and len(run.calls) < len(calls):
            pending = calls[len(run.calls)][1]
        status_verdict = {"timeout": "timeout", "memory_limit": "memory_limit",
                          "output_limit": "output_limit"}
        verdict = status_verdict.get(run.status, "sandbox_error")
        detail = run.detail or "the measurement ended early"
        running = calls[len(run.calls)][0] if len(run.calls) < len(calls) else "sample"
        if running in ("null", "load-null", "partner") and verdict != "sandbox_error":
            # trusted code ran past a limit: the machine or the limits, not the sample
            what = "reference measured beside the sample" if running == "partner" \
                else "baseline call"
            verdict, detail = "sandbox_error", f"the {what} ran past a limit: {detail}"
        return _fail(result, verdict, detail, tests,
                     pending if pending is not None and pending >= 0 else None, phase)
    result.tests_run = len(tests)
    return _compare_all(task, tests, outputs, result, phase, engine)


def _call_verdict(task: Task, call: MeasuredCall, result: CheckResult, tests: list[TestCase],
                  i: int | None, phase: str, engine: Engine,
                  run_stderr: bytes = b"") -> CheckResult | None:
    """A failing exit of a measured sample call, or None."""
    code = call.exit_code
    if code == runner.FORBIDDEN:
        return _fail(result, "tampering", FORBIDDEN_FEATURE + ": "
                     + _forbidden_detail(call.stderr or run_stderr), tests, i, phase)
    if call.oom_killed:
        return _fail(result, "memory_limit", f"memory limit of {engine.limits.memory_bytes >> 20} "
                     "MiB exceeded", tests, i, phase)
    if code == -31:  # SIGSYS from the seccomp filter: execve while measured
        return _fail(result, "runtime_error", "the process was killed for running a program: "
                     + FORBIDDEN_WHILE_MEASURED, tests, i, phase)
    if call.record_error and code is not None and code >= 0:
        # valgrind writes the record at every normal exit; only the sample (or a full disk,
        # which is the machine's fault) can stop it
        if call.record_error.startswith(runner.MACHINE_FAULT):
            return _fail(result, "sandbox_error", call.record_error, tests, i, phase)
        return _fail(result, "tampering", "the measurement of this call is unusable: "
                     f"{call.record_error} (the process {exit_description(code)})", tests, i,
                     phase)
    if code == -25:
        return _fail(result, "output_limit", "its output exceeded the file size limit", tests,
                     i, phase)
    if task.kind == "program" and call.kind == "sample":
        if code != 0:
            hint = call.stderr.decode("utf-8", "replace").strip().splitlines()
            return _program_exit(result, code, (": " + hint[-1][:300]) if hint else "", tests,
                                 i, phase)
    elif code != 0:
        if code == -24:
            return _fail(result, "timeout", "killed by its CPU-time limit (SIGXCPU)", tests, i,
                         phase)
        return _fail(result, "runtime_error", f"the measured process {exit_description(code)}",
                     tests, i, phase)
    if call.output is None:
        if i is not None and call.output_size <= engine.limits.max_result_bytes and \
                _output_cap(task, tests[i], engine) is not None:
            return _fail(result, "wrong_answer", f"returned {call.output_size} bytes of output: "
                         "far larger than the expected output", tests, i, phase)
        return _fail(result, "output_limit", f"returned {call.output_size} bytes of output, more "
                     f"than the {engine.limits.max_result_bytes >> 20} MiB allowed", tests, i,
                     phase)
    if call.kind == "load":
        if call.output:  # only a load error writes anything
            value = _call_output(task, call, result, tests, i, phase, engine)
            return value if isinstance(value, CheckResult) else _fail(
                result, "runtime_error", "loading the module wrote a result", tests, i, phase)
        return None
    if task.kind == "function" and not call.output:
        return _fail(result, "runtime_error", "the measured process exited without a result "
                     "(it called os._exit or closed its result)", tests, i, phase)
    return None


def _forbidden_detail(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines()[::-1]:
        if "forbidden while judged" in line:
            return line.split("forbidden while judged:", 1)[1].strip()
    return "(no message)"


def _call_output(task: Task, call: MeasuredCall, result: CheckResult, tests: list[TestCase],
                 i: int | None, phase: str, engine: Engine) -> Any:
    """The decoded output of a sample call, or the failing CheckResult."""
    data = call.output or b""
    if task.kind == "program":
        if call.output_size > engine.limits.max_output_bytes:
            return _fail(result, "output_limit", f"printed {call.output_size} bytes, more than "
                         f"the {engine.limits.max_output_bytes >> 20} MiB allowed", tests, i,
                         phase)
        return data.decode("utf-8", "replace")
    tag, body = data[:1], data[1:]
    try:
        payload = wire.loads(body, _budget(tests[call.index], len(body), engine) if i is not None
                             else 1000)
    except wire.WireError as exc:
        return _fail(result, "wrong_answer", f"returned malformed data: {exc}", tests, i, phase)
    if tag == b"O":
        return payload
    name, message = (payload if isinstance(payload, tuple) and len(payload) == 2
                     else ("?", repr(payload)))
    if tag == b"L":
        return _fail(result, "runtime_error", f"loading the solution raised {name}: {message}",
                     tests, None, phase, error_type=name, error_message=message)
    if tag == b"E":
        detail = f"raised {name}: {message}"
        if name == "PermissionError" and "not permitted" in str(message):
            detail += f" ({FORBIDDEN_WHILE_MEASURED})"
        return _fail(result, "runtime_error", detail, tests, i, phase, error_type=name,
                     error_message=message)
    if tag == b"N":
        if task.comparison.kind == "checker":
            return harness.Opaque(message)
        return _fail(result, "wrong_answer", f"returned {message}", tests, i, phase,
                     error_type=name)
    return _fail(result, "wrong_answer", "returned a malformed result", tests, i, phase)


def _output_cap(task: Task, test: TestCase, engine: Engine) -> int | None:
    """Bytes an output may take on the wire, given the expected one: four times as many plus
    slack (checker tasks' right answers differ in shape). A 60 MB int where a bool is
    expected is a wrong answer at once, not seconds of the parent's CPU to decode."""
    data, _ = engine.expected_wire(test)
    return 4 * len(data) + (64 << 10) if data is not None else None


MIN_CHECKED_CPU_NS = 100_000_000
MIN_INSTRUCTIONS_PER_NS = 0.02
"""Heavy honest calls under callgrind count 64-651 instructions per microsecond of the
valgrind process's CPU (user and system; `perf/valgrind_rates.py`: a 300 MB memset is
the slowest); a call that spent 0.1 s or more and counted under 20 had its counts reset from
inside (which takes a memory-corruption bug of the interpreter: client requests and the
mmap, marshal and code-object routes are refused)."""


def _paired(meter: Meter, run: HarnessRun, n_tests: int, name: str) -> dict[str, Any] | None:
    """The reference's cost over the sample's, per round (each minus its null call of the
    same round), summed over the tests; the rounds are the independent pairs. Reported as the
    geometric mean of the round ratios with a Student-t 95% interval on their logarithms: the
    interval of a ratio from paired repeated measurements (Kalibera & Jones, "Rigorous
    Benchmarking in Reasonable Time", ISMM 2013, argue for ratio intervals over repetitions;
    with six rounds a bootstrap of the median cannot reach 95% coverage). A sample round far
    dearer than the others (warm-up included) is charged in every round, as unpaired
    measurements charge it (``RUN_MISMATCH``)."""
    from scipy import stats

    def by_round(kind: str, warmup: bool = True) -> dict[int, float]:
        totals: dict[int, float] = {}
        nulls = {(c.index, c.repeat): getattr(c, meter.field) for c in run.calls
                 if c.kind == "null" and getattr(c, meter.field) is not None}
        for c in run.calls:
            value = getattr(c, meter.field)
            if c.kind == kind and (not warmup or c.repeat >= meter.warmup) \
                    and value is not None and (c.index, c.repeat) in nulls:
                charged = max(meter.resolution / meter.scale, value - nulls[(c.index, c.repeat)])
                totals[c.repeat] = totals.get(c.repeat, 0.0) + charged
        return totals

    sample, reference = by_round("sample"), by_round("partner")
    rounds = sorted(set(sample) & set(reference))
    if not rounds:
        return None
    every = list(by_round("sample", warmup=False).values())
    dearest = None
    if len(every) > 1 and max(every) > RUN_MISMATCH * statistics.median(every):
        dearest = max(every)
    logs = [math.log(reference[r] / (dearest or sample[r])) for r in rounds]
    centre = statistics.fmean(logs)
    if len(logs) < 2:
        return {"reference": name, "speedup": math.exp(centre), "low": None, "high": None,
                "rounds": len(rounds), "tests": n_tests, "dearest_charged": dearest is not None}
    half = stats.t.ppf(0.975, len(logs) - 1) * statistics.stdev(logs) / math.sqrt(len(logs))
    return {"reference": name, "speedup": math.exp(centre),
            "low": math.exp(centre - half), "high": math.exp(centre + half),
            "rounds": len(rounds), "tests": n_tests, "dearest_charged": dearest is not None}


def _check_counts_against_cpu(run: HarnessRun, result: CheckResult, tests: list[TestCase],
                              engine: Engine) -> None:
    """valgrind's counts live in the sample's address space; the CPU time of its process is
    read by the kernel. Where the two disagree by far, the counts were tampered with."""
    try:
        speed = engine.machine_speed()
    except EngineError:
        speed = 1.0
    null = {c.index: c for c in run.calls if c.kind == "null"}
    for call in run.calls:
        base = null.get(call.index)
        if call.kind != "sample" or base is None or None in (
                call.cpu_ns, base.cpu_ns, call.instructions, base.instructions):
            continue
        cpu = call.cpu_ns - base.cpu_ns  # type: ignore[operator]
        counted = call.instructions - base.instructions  # type: ignore[operator]
        if cpu >= MIN_CHECKED_CPU_NS * speed and counted < MIN_INSTRUCTIONS_PER_NS / speed * cpu:
            _fail(result, "tampering", f"performance test {call.index} kept valgrind busy for "
                  f"{cpu / 1e9:.2f} s of CPU but counted {counted:,} instructions "
                  f"({counted / max(cpu, 1) * 1e3:.1f} per microsecond; heavy honest code "
                  "counts 60 or more): its counts were reset from inside", tests, call.index,
                  "performance")
            return


def _budget(test: TestCase, size: int, engine: Engine) -> int | None:
    """How many values a ``size``-byte output may decode into (`wire.output_budget`). Every
    value takes at least one byte and the budget is never under `SMALL_OUTPUT`, so a payload
    that small cannot exceed it, and the expected output is not walked for it."""
    if size <= SMALL_OUTPUT or not (test.has_expected or test.expected is not None):
        return None
    return wire.output_budget(test.expected, engine.expected_wire(test)[0])


SAME_AS_EXPECTED = object()
"""An output whose bytes were the expected output's own (`Engine.expected_wire`)."""


SMALL_OUTPUT = 10_000


def _same_output(task: Task, a: Any, b: Any) -> bool:
    if isinstance(a, harness.Opaque) or isinstance(b, harness.Opaque):
        return isinstance(a, harness.Opaque) and isinstance(b, harness.Opaque)
    try:
        return bool(a == b) or (a != a and b != b)
    except Exception:
        return False


def _stderr_hint(run: HarnessRun) -> str:
    for event in run.events:
        if event.get("e") == "stderr" and event.get("text"):
            return ": " + event["text"].strip().splitlines()[-1][:300]
    return ""


def _compare_all(task: Task, tests: list[TestCase], outputs: dict[int, Any],
                 result: CheckResult, phase: str, engine: Engine) -> CheckResult:
    kind = task.comparison.kind
    reasons: dict[int, str] = {}
    if kind == "checker":
        oks = _run_checker(task, tests, outputs, engine)
    elif kind == "replay" and phase == "correctness":
        oks = _run_replay(task, tests, outputs, engine)
    else:
        oks = []
        for i, t in enumerate(tests):
            try:
                oks.append(outputs[i] is SAME_AS_EXPECTED
                           or compare(task.comparison, outputs[i], t.expected))
            except Exception as exc:  # e.g. OverflowError: a huge int against a float
                oks.append(False)
                reasons[i] = f"{type(exc).__name__}: {exc}"[:300]
    for i, ok in enumerate(oks):
        if not ok:
            result.tests_passed = i
            detail = f"wrong output on {phase} test {i}"
            if i in reasons:
                detail += f" (the comparison failed: {reasons[i]})"
            return _fail(result, "wrong_answer", detail, tests, i,
                         phase, expected_repr=short_repr(tests[i].expected),
                         output_repr=short_repr(outputs[i]))
    result.tests_passed = len(tests)
    return result


def _json_or_opaque(value: Any) -> str:
    try:
        return harness.dumps(value)
    except harness.NotPlainData as exc:
        return harness.dumps(harness.Opaque(str(exc)))


def _run_checker(task: Task, tests: list[TestCase], outputs: dict[int, Any],
                 engine: Engine) -> list[bool]:
    inputs = [marshal.dumps((_json_or_opaque(t.input), _json_or_opaque(t.expected),
                             _json_or_opaque(outputs[i])), harness.WIRE_VERSION)
              for i, t in enumerate(tests)]
    job = {"mode": "check", "code": task.comparison.checker, "entry_point": "check",
           "inputs": inputs}
    run = runner.run_harness(job, limits=engine.limits.scaled(4), cpu=engine.cpu)
    oks: dict[int, bool] = {}
    for event in run.of("out"):
        try:
            oks[event["i"]] = wire.loads(event["value"]) is True
        except (wire.WireError, KeyError):
            pass
    return [oks.get(i, False) for i in range(len(tests))]


def _run_replay(task: Task, tests: list[TestCase], outputs: dict[int, Any],
                engine: Engine) -> list[bool]:
    replies = [[harness.dumps(list(t.input)), _json_or_opaque(outputs[i])]
               for i, t in enumerate(tests)]
    job = {"mode": "replay", "code": task.comparison.checker, "replies": replies,
           "entry_point": task.entry_point, "reference": task.canonical.code}
    run = runner.run_harness(job, limits=engine.limits.scaled(4), cpu=engine.cpu)
    verdicts = run.of("verdict")
    ok = bool(verdicts) and verdicts[0]["ok"] is True
    if ok:
        return [True] * len(tests)
    # The replayed test failed: point at the first output that differs from the reference's.
    first = next((i for i, t in enumerate(tests) if not _same_output(task, outputs[i],
                                                                     t.expected)), 0)
    return [i != first for i in range(len(tests))]


def _measurements(meter: Meter, run: HarnessRun, tests: list[TestCase],
                  result: CheckResult) -> None:
    """Per test: the sample's cost minus the baseline's (same input, same path, a do-nothing
    module), both from outside; time meters take the median over the repeats after the
    warm-up round, and report the spread of the sample's repeats."""
    def values(kind: str, index: int, warmup: bool = True) -> list[float]:
        out = []
        for call in run.calls:
            if call.kind == kind and call.index == index and (
                    not warmup or call.repeat >= meter.warmup or index < 0):
                value = getattr(call, meter.field)
                if value is not None:
                    out.append(value * meter.scale)
        return out

    for i, test in enumerate(tests):
        sample, null = values("sample", i), values("null", i)
        if not sample or not null:
            continue
        base = statistics.median(null)
        charged = [max(0.0, v - base) for v in sample]
        m = meters.summarize(meter, charged, i,
                             None if test.level is None else str(test.level))
        value = m.value
        every = [max(0.0, v - base) for v in values("sample", i, warmup=False)]
        typical = statistics.median(every) if every else 0.0
        if len(every) > 1 and m.value > 5 * meter.resolution and max(every) > \
                RUN_MISMATCH * typical:
            # Honest repeats of one call differ by percents (each is a fresh fork of the
            # same zygote): one run far dearer than the rest may have prepared the others.
            value = max(every)
            # the median of every run (warm-up included) may be 0 when most cost nothing
            # measurable; the paired rounds' odd count makes that possible
            ratio = f"{max(every) / typical:.1f}x the median of its repeats" if typical > 0 \
                else "more than the median of its repeats, which is below the meter's resolution"
            result.warnings.append(
                f"{meter.name}: one run of performance test {i} cost {ratio}; work carried "
                "from one run to the next would look like this, so the dearest run is "
                "charged")
        result.measurements.append(dataclasses.replace(
            m, value=max(value, meter.resolution), baseline=base, resolution=meter.resolution))
        if not meter.deterministic and m.cv > NOISY_CV:
            result.warnings.append(f"{meter.name} repeats of performance test {i} spread "
                                   f"{m.cv:.0%} (more than {NOISY_CV:.0%}): the machine was "
                                   "busy or the cost varies; treat this figure with care")
    load, load_null = values("load", -1), values("load-null", -1)
    if load and load_null:
        result.load_cost = max(0.0, statistics.median(load) - statistics.median(load_null))
