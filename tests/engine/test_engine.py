"""The execution engine end to end, on the real sandbox: every verdict, the comparison kinds
(exact/atol, task checker, stdin/stdout tokens, HumanEval-style replay), the harness codec, and
the valgrind meter's reproducibility and ranking power."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import marshal
import math
import os
from collections import Counter, OrderedDict, defaultdict, namedtuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfjudge.engine import harness, judge, sandbox
from perfjudge.engine.equality import tokens_match, values_match
from perfjudge.engine.judge import Engine, check_solution
from perfjudge.engine.sandbox import Limits
from perfjudge.records.task import Comparison, Reference, Task
from perfjudge.records.task import TestCase as Case
from perfjudge.store import Store

needs_sandbox = pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.probe().bwrap is None or not sandbox.probe().cgroups,
    reason="needs root, bubblewrap and a writable cgroup")

SMALL = Limits(test_seconds=2.0, wall_seconds=60.0, memory_bytes=256 << 20,
               max_processes=32, max_output_bytes=1 << 20)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine(limits=SMALL, cache=Store(tmp_path_factory.mktemp("derived") / "derived.db"))


def fn_task(reference: str, inputs, *, comparison: Comparison | None = None, perf=(),
            task_id: str = "engine/f") -> Task:
    return Task("engine", task_id, "", "function", "f",
                tests=tuple(Case(list(args)) for args in inputs),
                performance_tests=tuple(Case(list(args)) for args in perf),
                references=(Reference("ref", reference),),
                comparison=comparison or Comparison())


SQUARE = fn_task("def f(x):\n    return x * x\n", [(1,), (2,), (-3,)], task_id="engine/square")

# ----------------------------------------------------------------------------- verdicts

VERDICT_CASES = {
    "passed": "def f(x):\n    return x ** 2\n",
    "wrong_answer": "def f(x):\n    return x + x\n",
    "runtime_error": "def f(x):\n    return [][x]\n",
    "timeout": "def f(x):\n    while True:\n        pass\n",
    "memory_limit": "def f(x):\n    keep = []\n    while True:\n        keep.append(bytearray(1 << 24))\n",
    "output_limit": "def f(x):\n    while True:\n        print('y' * 65536)\n",
    "compile_error": "def f(x)\n    return x\n",
}


@needs_sandbox
@pytest.mark.parametrize("verdict", sorted(VERDICT_CASES))
def test_verdicts(verdict, engine):
    result = check_solution(SQUARE, VERDICT_CASES[verdict], engine=engine, limits=SMALL)
    assert result.verdict == verdict, result.detail
    assert result.isolation == {"missing": []}


@needs_sandbox
def test_missing_entry_point_is_a_runtime_error(engine):
    result = check_solution(SQUARE, "def g(x):\n    return x * x\n", engine=engine)
    assert result.verdict == "runtime_error"
    assert "does not define 'f'" in result.detail


@needs_sandbox
def test_failing_reference_is_a_sandbox_error(engine):
    broken = fn_task("def f(x):\n    raise ValueError('broken reference')\n", [(1,)],
                     task_id="engine/broken")
    result = check_solution(broken, "def f(x):\n    return x\n", engine=engine)
    assert result.verdict == "sandbox_error"
    assert "reference" in result.detail and "ValueError" in result.detail


@needs_sandbox
def test_failure_points_at_the_first_failing_test(engine):
    result = check_solution(SQUARE, "def f(x):\n    return 4 if x == 2 else 0\n", engine=engine)
    assert result.verdict == "wrong_answer"
    assert result.failure.index == 0 and result.failure.output_repr == "0"
    result = check_solution(SQUARE, "def f(x):\n    return x * x if x > 0 else -1\n",
                            engine=engine)
    assert result.failure.index == 2 and result.failure.expected_repr == "9"


@needs_sandbox
def test_integers_past_the_decimal_digit_limit(engine):
    """Python refuses int <-> decimal str past 4300 digits; outputs that big still travel."""
    task = fn_task("def f(n):\n    return 10 ** n + 1\n", [(5000,), (3,)],
                   task_id="engine/bigint")
    assert check_solution(task, "def f(n):\n    return pow(10, n) + n // n\n",
                          engine=engine).verdict == "passed"
    result = check_solution(task, "def f(n):\n    return 10 ** n\n", engine=engine)
    assert result.verdict == "wrong_answer" and "too large" in result.failure.output_repr


# ----------------------------------------------------------------------------- comparisons


@pytest.mark.parametrize("out, exp, atol, ok", [
    (3, 3, 0, True),
    ([1, 2], [1, 2], 0, True),
    ([1, 2], (1, 2), 0, False),
    ("a", "a ", 0, False),
    (0.1 + 0.2, 0.3, 0, True),                 # floats expected: atol defaults to 1e-6
    (0.3001, 0.3, 0, False),
    ([0.1 + 0.2, 1.0], [0.3, 1.0], 0, True),   # a flat list of floats counts as floats
    ([[0.1 + 0.2]], [[0.3]], 0, False),        # nested lists do not (EvalPlus is_floats)
    (1.05, 1.0, 0.1, True),
    (1.2, 1.0, 0.1, False),
    (1e9 + 50.0, 1e9, 1e-9, True),             # rtol=1e-7 of |expected| allows 100
    (1e9 + 500.0, 1e9, 1e-9, False),
    (1, 1.0000001, 1e-3, False),               # int vs float: the type must match
    (1, 1.0, 0, True),                         # ... unless exactly equal (== first)
    (True, 1.0, 0, True),                      # EvalPlus compares with == first
    (True, 1.00001, 0.5, False),               # then demands the same type
    (float("nan"), float("nan"), 1e-3, False),  # allclose without equal_nan
    (float("inf"), float("inf"), 1e-3, True),
    (float("inf"), 1e308, 1e-3, False),
    ([1.0, 2.0], [1.0], 1e-3, False),
])
def test_values_match_evalplus_atol(out, exp, atol, ok):
    assert values_match(out, exp, atol) is ok


def test_tokens_match():
    assert tokens_match("1  2\n3\n", "1 2 3")
    assert tokens_match("", "\n \t")
    assert not tokens_match("1 2 3", "1 23")
    assert not tokens_match("1 2", "1 2 3")


@needs_sandbox
def test_atol_comparison_end_to_end(engine):
    task = fn_task("def f(x):\n    return x / 3\n", [(1,), (2,)],
                   comparison=Comparison("atol", atol=1e-3), task_id="engine/third")
    assert check_solution(task, "def f(x):\n    return round(x / 3, 4)\n",
                          engine=engine).verdict == "passed"
    assert check_solution(task, "def f(x):\n    return round(x / 3, 2)\n",
                          engine=engine).verdict == "wrong_answer"


def test_expected_wire_says_when_identical_bytes_decide(engine):
    """Identical bytes mean an equal output, except where the expected value holds a NaN
    (fresh NaNs equal nothing, so EvalPlus's rule fails them): then only the full
    comparison decides. Bytes with a 0x67 ('g', a float's code) inside an int stay exact."""
    cases = [(Case([1], [1, 2.5, "x"], True), True), (Case([1], [0x67, 0x6767], True), True),
             (Case([1], [1.0, float("nan")], True), False),
             (Case([1], {"k": complex(float("nan"), 0)}, True), False),
             (Case([1], None, False), None)]
    for case, exact in cases:
        data, same = engine.expected_wire(case)
        if exact is None:
            assert data is None and same is False
            continue
        assert data == marshal.dumps(case.expected, harness.WIRE_VERSION) and same is exact
    assert engine.expected_wire(cases[0][0])[0] is engine.expected_wire(cases[0][0])[0]


@needs_sandbox
def test_an_output_identical_to_the_expected_bytes_is_not_decoded(engine, monkeypatch):
    """HumanEval/130's outputs are 90 MB a check: the byte comparison stands in for the
    decoding and the comparison, and a different output still goes the whole way."""
    task = fn_task("def f(n):\n    return [k if k % 3 else k / 2 for k in range(n)]\n",
                   [(50_000,), (4,)], task_id="engine/big-mixed")
    engine.correctness_tests(task)
    decoded = []
    real = judge.wire.loads
    monkeypatch.setattr(judge.wire, "loads", lambda data, *a: (
        len(data) > 100_000 and decoded.append(len(data))) or real(data, *a))  # not events
    assert check_solution(task, "def f(n):\n    return [k / 2 if k % 3 == 0 else k "
                          "for k in range(n)]\n", engine=engine).verdict == "passed"
    assert decoded == []
    wrong = check_solution(task, "def f(n):\n    return [k if k % 3 else k / 2 "
                           "for k in range(n - 1)]\n", engine=engine)
    assert wrong.verdict == "wrong_answer" and wrong.failure.index == 0 and decoded
    nan = fn_task("def f(x):\n    return [x, float('nan')]\n", [(1.5,)], task_id="engine/nan")
    assert check_solution(nan, "def f(x):\n    return [x, float('nan')]\n",
                          engine=engine).verdict == "wrong_answer"  # as EvalPlus: NaN != NaN
    deep = "def f(n):\n    v = []\n    for _ in range(n):\n        v = [v]\n    return v\n"
    nested = fn_task(deep, [(1500,)], task_id="engine/deep")
    assert check_solution(nested, deep, engine=engine).verdict == "wrong_answer"  # as ever:
    # comparing 1,500 levels raises RecursionError, which the full comparison calls unequal
    zero = fn_task("def f(x):\n    return 0.0\n", [(1,)], task_id="engine/zero")
    assert check_solution(zero, "def f(x):\n    return -0.0\n",
                          engine=engine).verdict == "passed"  # other bytes, an equal value


PERMUTATION_CHECKER = """
import builtins


def check(input, expected, output):
    # The sample marks builtins when it runs; the checker must not be in its process.
    if getattr(builtins, "SAMPLE_WAS_HERE", False):
        return False
    return type(output) is list and sorted(output) == sorted(expected)
"""


@needs_sandbox
def test_task_checker_runs_in_its_own_process(engine):
    task = fn_task("def f(xs):\n    return sorted(set(xs))\n", [([3, 1, 3, 2],), ([5],)],
                   comparison=Comparison("checker", checker=PERMUTATION_CHECKER),
                   task_id="engine/unique")
    marker = "import builtins\nbuiltins.SAMPLE_WAS_HERE = True\n"
    any_order = marker + "def f(xs):\n    return list(reversed(sorted(set(xs))))\n"
    assert check_solution(task, any_order, engine=engine).verdict == "passed"
    wrong = marker + "def f(xs):\n    return list(xs)\n"
    assert check_solution(task, wrong, engine=engine).verdict == "wrong_answer"
    # A checker that crashes rejects rather than passes.
    crashing = dataclasses.replace(
        task, task_id="engine/unique-crash",
        comparison=Comparison("checker", checker="def check(i, e, o):\n    raise RuntimeError\n"))
    assert check_solution(crashing, any_order, engine=engine).verdict == "wrong_answer"


PROGRAM_REF = "import sys\nnums = sys.stdin.read().split()\nprint(sum(int(n) for n in nums))\n"


@needs_sandbox
def test_stdin_stdout_programs(engine):
    task = Task("engine", "engine/sum-program", "", "program", None,
                tests=(Case("1 2 3\n"), Case("10\n-4\n"), Case("5 5", "10\n", True)),
                references=(Reference("ref", PROGRAM_REF),), comparison=Comparison("tokens"))
    spaced = ("import sys\nnums = list(map(int, sys.stdin.read().split()))\n"
              "sys.stdout.write('\\n\\n  %d  \\t\\n' % sum(nums))\n")
    assert check_solution(task, spaced, engine=engine).verdict == "passed"
    off = "import sys\nprint(sum(map(int, sys.stdin.read().split())) + 1)\n"
    assert check_solution(task, off, engine=engine).verdict == "wrong_answer"
    glued = "import sys\nprint(sum(map(int, sys.stdin.read().split())), end='0')\n"
    assert check_solution(task, glued, engine=engine).verdict == "wrong_answer"
    crash = "import sys\nsys.exit(3)\n"
    result = check_solution(task, crash, engine=engine)
    assert result.verdict == "runtime_error" and "status 3" in result.detail
    assert check_solution(task, "print(", engine=engine).verdict == "compile_error"


HUMANEVAL_CHECK = """
def check(candidate):
    assert candidate([1, 2, 3]) == 6
    assert candidate([]) == 0
    assert abs(candidate([0.5, 0.25]) - 0.75) < 1e-9
    assert candidate([-1, 1]) == 0
"""


@needs_sandbox
def test_replay_of_a_humaneval_check(engine):
    task = Task("engine", "engine/replay-sum", "", "function", "f", tests=(),
                references=(Reference("ref", "def f(xs):\n    return sum(xs)\n"),),
                comparison=Comparison("replay", checker=HUMANEVAL_CHECK))
    tests = engine.correctness_tests(task)
    assert [t.input for t in tests] == [[[1, 2, 3]], [[]], [[0.5, 0.25]], [[-1, 1]]]
    loop = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total\n"
    assert check_solution(task, loop, engine=engine).verdict == "passed"
    result = check_solution(task, "def f(xs):\n    return sum(xs) if xs else 1\n",
                            engine=engine)
    assert result.verdict == "wrong_answer" and result.failure.index == 1


# ----------------------------------------------------------------------------- codec

_scalars = (st.none() | st.booleans() | st.integers(-10 ** 40, 10 ** 40)
            | st.floats(allow_nan=False) | st.text(max_size=20) | st.binary(max_size=20)
            | st.complex_numbers(allow_nan=False, allow_infinity=True))
_hashables = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.binary(max_size=10),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3), max_leaves=8)
_plain = st.recursive(
    _scalars,
    lambda inner: (st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(tuple)
                   | st.dictionaries(_hashables, inner, max_size=4)
                   | st.sets(_hashables, max_size=4) | st.frozensets(_hashables, max_size=4)),
    max_leaves=20)


def same(a, b) -> bool:
    """Equal *and* of the same types all the way down (1 == 1.0 == True is not enough)."""
    if type(a) is not type(b):
        return False
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a) and all(
            same(k1, k2) for k1, k2 in zip(a, b))
    if type(a) is float and math.isnan(a):
        return math.isnan(b)
    if type(a) is complex:
        return same(a.real, b.real) and same(a.imag, b.imag)
    return a == b


@settings(max_examples=300, deadline=None)
@given(_plain)
def test_codec_round_trip(value):
    text = harness.dumps(value)
    assert same(harness.loads(text), value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), -0.0,
                                   [float("nan"), (float("inf"),)], {"$t": [1]}, {"$f": "nan"},
                                   {(): frozenset()}, 10 ** 1000 // 7,
                                   10 ** 5000 + 1, -(2 ** 40000), [3 ** 9000]],
                         ids=lambda v: type(v).__name__)
def test_codec_round_trip_edge_values(value):
    assert same(harness.loads(harness.dumps(value)), value)


class MyInt(int):
    pass


class MyStr(str):
    pass


class MyList(list):
    pass


class MyDict(dict):
    pass


class MyFloat(float):
    pass


Point = namedtuple("Point", "x y")


class MyCounter(Counter):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value", [
    MyInt(1), MyStr("a"), MyList([1]), MyDict(), MyFloat(1.0), Point(1, 2), MyCounter(),
    [1, MyInt(2)], {"k": MyList()}, {MyStr("k"): 1}, (x for x in []),
    lambda: 1, object(), range(3), bytearray(b"x"), memoryview(b"x"),
])
def test_codec_rejects_anything_but_plain_data(value):
    with pytest.raises(harness.NotPlainData):
        harness.encode(value)


def test_stdlib_dict_types_travel_as_plain_dicts():
    """Their == is dict's (MBPP+ Mbpp/88's reference returns a Counter); only the exact
    stdlib types qualify, a subclass (MyCounter above) is rejected."""
    for value in (Counter("abca"), OrderedDict(a=1), defaultdict(int, {"x": 2})):
        decoded = harness.loads(harness.dumps(value))
        assert type(decoded) is dict and decoded == dict(value)


def test_codec_fast_decoders_equal_the_walk():
    """`harness.loads` decodes with json's C decoder (and an object hook for the tags); the
    recursive `decode` is the definition it must match."""
    import json

    for value in [[1, [2.5, "s{"]], (1, (2,)), {1: {"a": (3,)}}, {frozenset({1}), 2},
                  [b"x", 1 + 2j, float("nan")], [harness.Opaque("o")], 10 ** 5000]:
        text = harness.dumps(value)
        fast, walked = harness.loads(text), harness.decode(json.loads(text))
        assert type(fast) is type(walked) and harness.dumps(fast) == harness.dumps(walked)


def test_codec_rejects_cycles_and_malformed_input():
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(harness.NotPlainData):
        harness.encode(cyclic)
    for text in ['{"$x": 1}', '{"$t": 1}', '{"a": 1, "b": 2}', '{"$d": [[1]]}',
                 '{"$f": "1.5"}', '{"$d": [[[1], 2]]}', '{"$b": "!!"}', '{"$t": {"$t": []}}',
                 '{"$c": ["a", 1]}', '{"$s": [[1]]}']:
        with pytest.raises((harness.NotPlainData, TypeError, ValueError)):
            harness.loads(text)


# ----------------------------------------------------------------------------- valgrind

DUPES_INPUT = [[(i * 7919) % 600 for i in range(1000)]]
DUPES_LINEAR = """
def f(xs):
    seen = set()
    dupes = 0
    for x in xs:
        if x in seen:
            dupes += 1
        else:
            seen.add(x)
    return dupes
"""
DUPES_NLOGN = """
def _merge_sort(xs):
    if len(xs) <= 1:
        return list(xs)
    mid = len(xs) // 2
    left, right = _merge_sort(xs[:mid]), _merge_sort(xs[mid:])
    out, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            out.append(left[i]); i += 1
        else:
            out.append(right[j]); j += 1
    return out + left[i:] + right[j:]


def f(xs):
    ordered = _merge_sort(xs)
    dupes = 0
    for k in range(1, len(ordered)):
        if ordered[k] == ordered[k - 1]:
            dupes += 1
    return dupes
"""
DUPES_QUADRATIC = """
def f(xs):
    dupes = 0
    for i in range(len(xs)):
        for j in range(i):
            if xs[j] == xs[i]:
                dupes += 1
                break
    return dupes
"""


def dupes_task() -> Task:
    return Task("engine", "engine/dupes", "", "function", "f",
                tests=(Case([[1, 1, 2]]), Case([[]]), Case([[3, 3, 3]])),
                performance_tests=(Case(DUPES_INPUT),),
                references=(Reference("linear", DUPES_LINEAR),))


def _valgrind(engine: Engine, code: str) -> float:
    result = check_solution(dupes_task(), code, meter="valgrind", engine=engine)
    assert result.verdict == "passed", result.detail
    assert result.unit == "instructions" and len(result.measurements) == 1
    return result.total_cost


def _spread(values: list[float]) -> float:
    return (max(values) - min(values)) / min(values)


@pytest.fixture(scope="module")
def serial_counts(engine):
    return [_valgrind(engine, DUPES_NLOGN) for _ in range(10)]


@needs_sandbox
@pytest.mark.slow
def test_valgrind_counts_repeat(serial_counts):
    assert min(serial_counts) > 100_000
    assert _spread(serial_counts) < 0.001, serial_counts


@needs_sandbox
@pytest.mark.slow
def test_valgrind_counts_do_not_depend_on_parallel_runs(engine, serial_counts):
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        parallel = list(pool.map(lambda _: _valgrind(engine, DUPES_NLOGN), range(2)))
    reference = sorted(serial_counts)[len(serial_counts) // 2]
    for count in parallel:
        assert abs(count - reference) / reference < 0.001, (parallel, serial_counts)


@needs_sandbox
def test_every_sample_is_charged_above_the_same_valgrind_baseline(tmp_path, harness_runs):
    """The do-nothing module's counts on a test's input are the baseline every call is
    charged above. Measured in each sample's own zygote they moved with the sample's code
    (two_sum's three references: 448,329 / 448,365 / 448,365 on one input); now they are one
    job's, kept, so the baseline is the same for every sample and in any order, and a
    second check runs the sample's calls alone."""
    def baselines(order):
        engine = Engine(cache=Store(tmp_path / f"derived-{'-'.join(map(str, order))}.db"))
        out = {}
        for n in order:
            result = check_solution(dupes_task(), (DUPES_LINEAR, DUPES_NLOGN)[n],
                                    meter="valgrind", engine=engine)
            assert result.verdict == "passed", result.detail
            out[n] = [m.baseline for m in result.measurements]
        return out

    first = baselines([0, 1])
    measured = [job for job, _ in harness_runs if job["mode"] == "measure"]
    assert [sorted({c[0] for c in j["calls"]}) for j in measured] == [
        ["load-null", "null"], ["load", "sample"], ["load", "sample"]]
    assert first[0] == first[1] and first[0][0] > 100_000
    assert baselines([1, 0]) == first


@needs_sandbox
@pytest.mark.slow
def test_valgrind_ranks_complexity_classes(engine):
    linear, nlogn, quadratic = (_valgrind(engine, code)
                                for code in (DUPES_LINEAR, DUPES_NLOGN, DUPES_QUADRATIC))
    assert 3 * linear < nlogn, (linear, nlogn)
    assert 3 * nlogn < quadratic, (nlogn, quadratic)
