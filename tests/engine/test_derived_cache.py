"""Derived data (expected outputs, generated inputs, the machine's speed) in the real store:
marshal bytes in new stores, tagged JSON text read back from older ones."""

from __future__ import annotations

import math
import sqlite3

import pytest

from perfjudge.engine import harness, judge
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
