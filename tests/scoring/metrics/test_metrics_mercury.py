from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfjudge.scoring.metrics import beyond, mean_beyond


def test_hand_values() -> None:
    hist = [100.0, 300.0, 500.0]  # min 100, max 500
    assert beyond(100.0, hist) == 1.0
    assert beyond(500.0, hist) == 0.0
    assert beyond(200.0, hist) == pytest.approx(0.75)   # (500 - 200) / 400
    assert beyond(50.0, hist) == 1.0                    # faster than all: clamped
    assert beyond(900.0, hist) == 0.0                   # slower than all: clamped
    assert beyond(100.0, hist, correct=False) == 0.0
    # (0.75 + 0 + 1) / 3, the wrong sample counting 0
    assert mean_beyond([200.0, 50.0, 100.0], [True, False, True], hist) == pytest.approx(1.75 / 3)


def test_unit_free() -> None:
    # the same runtimes in seconds and in milliseconds give the same score
    assert beyond(0.2, [0.1, 0.5]) == pytest.approx(beyond(200.0, [100.0, 500.0]))


def test_degenerate_range() -> None:
    assert beyond(1.0, [1.0, 1.0]) == 1.0
    assert beyond(1.5, [1.0, 1.0]) == 0.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=20), st.floats(0, 2e6), st.floats(0, 2e6))
def test_range_and_monotone(hist: list[float], x: float, y: float) -> None:
    bx, by = beyond(x, hist), beyond(y, hist)
    assert 0.0 <= bx <= 1.0
    if x <= y:
        assert bx >= by


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="historical_runtimes"):
        beyond(1.0, [])
    with pytest.raises(ValueError, match="runtime"):
        beyond(-1.0, [1.0, 2.0])
    with pytest.raises(ValueError, match="flags"):
        mean_beyond([1.0], [True, True], [1.0])
