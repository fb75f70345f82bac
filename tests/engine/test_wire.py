"""The parent's decoder of the harness wire (`engine.wire`): its C-speed paths for common
outputs and events give exactly what the strict reader gives, and refuse what it refuses."""

from __future__ import annotations

import marshal
import random

import pytest

from perfjudge.engine import wire

VALUES = [None, True, False, 0, -5, 2**31 - 1, -2**31, 2**40, 1.5, float("inf"), "", "héllo",
          "a" * 1000, [], [1, 2, 3], [-1] * 500, [1.0, 2.5], [True, False, True], [1, "a"],
          [1, 2**40], [[1]], (1, 2), {"a": 1}, {1, 2}, b"xy", [b"x"], 1 + 2j,
          [1, 2.5, None, True, 3], (1, 2.0, False), 2**100, -2**200, [2**100, 1], ()]
EVENTS = [{"e": "ready", "i": 3, "call": 0},
          {"e": "done", "i": 7, "call": 1, "ok": True, "self_cpu_ns": 12345},
          {"e": "out", "i": 2, "plain": True, "value": marshal.dumps([1, 2], 2)},
          {"e": "done", "i": 7, "call": 0, "ok": True, "self_cpu_ns": 2**40},
          {"e": "done", "i": 7, "call": 0, "ok": False, "type": "E", "message": "m"}]


def strict(data: bytes, max_items: int | None = None):
    """The general reader alone, or 'refused'."""
    saved = wire._plain_fast
    wire._plain_fast = lambda *args: (False, None)
    try:
        return wire.loads(data, max_items)
    except wire.WireError:
        return "refused"
    finally:
        wire._plain_fast = saved


def same(a, b) -> bool:
    return marshal.dumps(a, 2) == marshal.dumps(b, 2)  # types too, and nan equals nan


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_values_decode_as_they_were_written(value):
    data = marshal.dumps(value, 2)
    assert same(wire.loads(data), value)
    assert same(strict(data), value)


def test_common_outputs_take_the_fast_path():
    for value in (None, True, 7, 2.5, "x", [1, 2, 3], [0.5], [True, False], [1, 2.5, None],
                  (1, 2.0), 2**100):
        data = marshal.dumps(value, 2)
        assert wire._plain_fast(data, len(data), None) == (True, value)
    data = marshal.dumps([1, 2, 3], 2)
    assert wire._plain_fast(data, len(data), 3) == (False, None)  # over the bound: strict
    assert strict(data, 3) == "refused" and wire.loads(data, 4) == [1, 2, 3]


def test_a_list_that_lies_about_its_length_is_refused_on_both_paths():
    good = marshal.dumps([1, 2.5, None], 2)
    for count in (2, 4, 2**32 - 1):
        data = good[:1] + count.to_bytes(4, "little") + good[5:]
        assert wire._plain_fast(data, len(data), None) == (False, None)
        assert strict(data) == "refused"


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e["e"])
def test_events_decode_as_they_were_written(event):
    frame = marshal.dumps(event, 2)
    assert wire.load_event(frame) == event
    assert wire.loads(frame) == event


def test_mutated_payloads_decode_the_same_on_both_paths():
    """20,000 random byte mutations of real payloads and events: wherever a fast path
    answers, the strict reader gives the same value (or the frame was not a fast one)."""
    rng = random.Random(0)
    base = [marshal.dumps(v, 2) for v in VALUES] + [marshal.dumps(e, 2) for e in EVENTS]
    answered = 0
    for _ in range(20_000):
        data = bytearray(rng.choice(base))
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data)
        fast, value = wire._plain_fast(data, len(data), None)
        event = wire._event_fast(data)
        if fast:
            assert same(strict(data), value), data
            answered += 1
        if event is not None:
            assert same(strict(data), event), data
            answered += 1
    assert answered > 1000
