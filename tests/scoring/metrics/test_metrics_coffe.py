from __future__ import annotations

import pytest

from perfjudge.scoring.metrics import (
    coffe_is_efficient,
    coffe_speedup,
    efficient_at_k,
    mean_coffe_speedup,
)


def test_efficiency_needs_correct_and_strictly_cheaper() -> None:
    assert coffe_is_efficient(True, 900.0, 1000.0)
    assert not coffe_is_efficient(True, 1000.0, 1000.0)   # a tie does not beat the best reference
    assert not coffe_is_efficient(False, 10.0, 1000.0)    # fast but wrong
    assert not coffe_is_efficient(True, None, 1000.0)     # no measurement


def test_efficient_at_k_hand_values() -> None:
    # 2 efficient of 4: efficient@1 = 2/4; efficient@2 = 1 - C(2,2)/C(4,2) = 1 - 1/6
    assert efficient_at_k(4, 2) == pytest.approx(0.5)
    assert efficient_at_k(4, 2, 2) == pytest.approx(5 / 6)


def test_speedup_hand_values() -> None:
    assert coffe_speedup(1000.0, 500.0) == 2.0
    # (1000/500 + 1000/2000) / 2 = (2 + 0.5) / 2
    assert mean_coffe_speedup(1000.0, [500.0, 2000.0]) == pytest.approx(1.25)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="best_reference_cost"):
        coffe_is_efficient(True, 1.0, 0.0)
    with pytest.raises(ValueError, match="sample_cost"):
        coffe_speedup(1.0, -2.0)
    with pytest.raises(ValueError, match="at least one"):
        mean_coffe_speedup(1.0, [])
