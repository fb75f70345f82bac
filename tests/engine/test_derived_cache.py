"""Derived data (expected outputs, generated inputs, the machine's speed) in the real store:
marshal bytes in new stores, tagged JSON text read back from older ones."""

from __future__ import annotations

import fcntl
import marshal
import math
import os
import pickle
import sqlite3

import pytest

from perfjudge.engine import harness, judge, runner, sandbox
from perfjudge.records.task import Reference, Task
from perfjudge.records.task import TestCase as Case
from perfjudge.store import Store

VALUE = {"outputs": [1, (2, 3), {4, 5}, frozenset({6}), {(7, 8): "x"}, 3 ** 200, -0.0,
                     complex(1, -2), b"\x00\xff", None, True],
         "seconds": [0.25, None], "failed": [], "error": ""}


def same(a, b) -> bool:
    """Equal, type for type (True is not 1 here, -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return math.copysign(1, a) == math.copysign(1, b) and (a == b or a != a and b != b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def test_derived_data_is_stored_as_marshal_and_read_back_by_a_fresh_engine(tmp_path):
    path = tmp_path / "store.db"
    calls = []
    first = judge.Engine(cache=Store(path))
    assert same(first._cached("k", lambda: calls.append(1) or VALUE), VALUE)
    again = judge.Engine(cache=Store(path))._cached("k", lambda: calls.append(2))
    assert calls == [1] and same(again, VALUE)
    shared = [1, 2]
    judge.Engine(cache=Store(path))._cached("aliased", lambda: {"a": shared, "b": shared})
    back = judge.Engine(cache=Store(path))._cached("aliased", lambda: calls.append(3))
    assert back == {"a": [1, 2], "b": [1, 2]} and back["a"] is not back["b"]  # as JSON gave
    with sqlite3.connect(path) as conn:
        kind, raw = conn.execute("SELECT typeof(value), value FROM blobs WHERE key='k'").fetchone()
    assert kind == "blob" and raw.startswith(judge.DERIVED_MARSHAL)


def test_an_older_stores_tagged_json_is_still_read(tmp_path):
    store = Store(tmp_path / "store.db")
    store.put_blob("old", harness.dumps(VALUE))
    assert same(judge.Engine(cache=store)._cached("old", lambda: pytest.fail("recomputed")),
                VALUE)


@pytest.mark.parametrize("raw", [b"not perfjudge's", judge.DERIVED_MARSHAL + b"[\x05\x00"])
def test_damaged_derived_data_is_a_judge_fault_that_names_the_row(tmp_path, raw):
    store = Store(tmp_path / "store.db")
    store.put_blob("bad", raw)
    with pytest.raises(judge.EngineError, match="'bad' is damaged"):
        judge.Engine(cache=store)._cached("bad", lambda: VALUE)


needs_sandbox = pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.probe().bwrap is None or not sandbox.probe().cgroups,
    reason="needs root, bubblewrap and a writable cgroup")


@needs_sandbox
def test_a_prepared_task_is_not_decoded_again_and_a_lost_derivation_is_redone(tmp_path,
                                                                                monkeypatch):
    """`Engine.prepare` leaves a marker beside what it derived: a warm run's workers do not
    decode the expected outputs only to learn they are there. If the derived rows went
    missing after all, the check derives them again and still judges right."""
    task = Task("engine", "engine/cube", "", "function", "f",
                tests=tuple(Case([x]) for x in range(5)),
                references=(Reference("ref", "def f(x):\n    return x ** 3\n"),))
    path = tmp_path / "store.db"
    filled = []
    real = judge.Engine._fill_expected
    monkeypatch.setattr(judge.Engine, "_fill_expected",
                        lambda self, *a: filled.append(a[0].task_id) or real(self, *a))
    judge.Engine(cache=Store(path)).prepare(task)
    assert filled == ["engine/cube"]
    judge.Engine(cache=Store(path)).prepare(task)
    assert filled == ["engine/cube"]
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM blobs WHERE key NOT LIKE 'prepared-%'")
    engine = judge.Engine(cache=Store(path))
    engine.prepare(task)
    assert filled == ["engine/cube"]
    assert engine.check(task, "def f(x):\n    return x * x * x\n").verdict == "passed"
    assert engine.check(task, "def f(x):\n    return x * x\n").verdict == "wrong_answer"
    assert len(filled) == 2


def test_the_sample_channel_asks_for_a_wide_pipe():
    """1 MiB as root (HumanEval/130 sends 90 MB of outputs a check); an unprivileged user
    keeps the default, which its other pipes share a quota with."""
    read, write = os.pipe()
    try:
        runner._widen_pipe(read)
        size = fcntl.fcntl(read, 1032)  # F_GETPIPE_SZ
        assert size == (runner.SAMPLE_PIPE_BYTES if os.geteuid() == 0 else 65536)
    finally:
        os.close(read)
        os.close(write)


@needs_sandbox
def test_expected_outputs_stay_undecoded_until_a_test_fails_and_old_entries_still_work(
        tmp_path):
    """The reference's outputs are kept as its harness wrote them: a passing check decodes
    none of them, a failing one only the test it failed on. A store written before (outputs
    decoded in the entry) is read as it was."""
    task = Task("engine", "engine/squares", "", "function", "f",
                tests=tuple(Case([n]) for n in range(4)),
                references=(Reference("ref", "def f(n):\n    return [k * k for k in range(n)]\n"),))
    path = tmp_path / "store.db"
    engine = judge.Engine(cache=Store(path))
    tests = engine.correctness_tests(task)
    assert all(isinstance(t, judge.ReferenceOutputTest) for t in tests)
    assert engine.check(task, "def f(n):\n    return [k ** 2 for k in range(n)]\n").verdict \
        == "passed"
    assert not any("_decoded" in t.__dict__ for t in tests)
    wrong = engine.check(task, "def f(n):\n    return [k * k for k in range(n)][:2]\n")
    assert wrong.verdict == "wrong_answer" and wrong.failure.index == 3
    assert [("_decoded" in t.__dict__) for t in tests] == [False, False, False, True]
    assert [t.expected for t in tests] == [[], [0], [0, 1], [0, 1, 4]]

    with sqlite3.connect(path) as conn:
        key, = conn.execute("SELECT key FROM blobs WHERE key LIKE 'reference-wire-%'").fetchone()
        old = {"outputs": [[], [0], [0, 1], [0, 1, 4]], "seconds": [0.0] * 4, "failed": [],
               "error": ""}
        conn.execute("DELETE FROM blobs WHERE key = ?", (key,))
        conn.execute("INSERT INTO blobs (key, value, created) VALUES (?, ?, 0)",
                     (key.replace("-wire-", "-cpu-"), judge.DERIVED_MARSHAL + marshal.dumps(old, 2)))
    older = judge.Engine(cache=Store(path))
    tests = older.correctness_tests(task)
    assert [type(t) for t in tests] == [Case] * 4 and tests[3].expected == [0, 1, 4]
    assert older.check(task, "def f(n):\n    return [k ** 2 for k in range(n)]\n").verdict \
        == "passed"
    with sqlite3.connect(path) as conn:  # read where it was, not copied to the new key
        assert conn.execute("SELECT count(*) FROM blobs WHERE key = ?", (key,)).fetchone() == (0,)


def test_tests_travel_to_workers_whole():
    """A test pickles as its fields (cheaper, same value); a reference-output test keeps its
    wire bytes and stays undecoded on the other side."""
    plain = Case([1, "x"], {"a": (1, 2)}, True, "plus", 2.0, 0.25)
    assert pickle.loads(pickle.dumps(plain)) == plain
    lazy = judge.ReferenceOutputTest(Case([3], level="base"), marshal.dumps([9, 2.5], 2), True,
                                     0.5)
    back = pickle.loads(pickle.dumps(lazy))
    assert type(back) is judge.ReferenceOutputTest and "_decoded" not in back.__dict__
    assert (back.input, back.wire, back.exact, back.level, back.reference_seconds) == \
        ([3], lazy.wire, True, "base", 0.5)
    assert back.expected == [9, 2.5] and back.has_expected
