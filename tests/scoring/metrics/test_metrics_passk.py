from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfjudge.scoring.metrics import METRICS, mean_pass_at_k, pass_at_k, pass_at_k_per_task


def test_hand_computed_values() -> None:
    # n=5, c=2, k=2: 1 - C(3,2)/C(5,2) = 1 - 3/10 = 0.7
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    # k=1 reduces to c/n
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    # n - c < k: every k-subset holds a correct sample
    assert pass_at_k(4, 3, 2) == 1.0
    assert pass_at_k(4, 0, 4) == 0.0


def test_per_task_and_mean() -> None:
    # tasks: (5,2,k=2) -> 0.7 ; (5,0) -> 0 ; (5,5) -> 1  => mean 1.7/3
    per_task = pass_at_k_per_task(5, [2, 0, 5], 2)
    np.testing.assert_allclose(per_task, [0.7, 0.0, 1.0])
    assert mean_pass_at_k([5, 5, 5], [2, 0, 5], 2) == pytest.approx(1.7 / 3)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_equals_brute_force_over_all_k_subsets(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    flags = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(flags, k))
    expected = Fraction(sum(any(s) for s in subsets), len(subsets))
    assert pass_at_k(n, c, k) == pytest.approx(float(expected), abs=1e-12)


def test_large_n_is_stable() -> None:
    value = pass_at_k(1000, 7, 100)
    exact = 1 - math.comb(993, 100) / math.comb(1000, 100)
    assert math.isfinite(value) and value == pytest.approx(exact, rel=1e-10)
    assert pass_at_k(100_000, 1, 1) == pytest.approx(1e-5)


@pytest.mark.parametrize("args, message", [
    ((0, 0, 1), "n"), ((5, 6, 1), "c"), ((5, 2, 0), "k"), ((5, 2, 6), "k"), ((5.5, 2, 1), "n"),
])
def test_bad_input_is_rejected(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pass_at_k(*args)


def test_per_task_length_mismatch() -> None:
    with pytest.raises(ValueError, match="pair up"):
        pass_at_k_per_task([5, 5], [1], 1)


def test_registry_has_citations() -> None:
    for name, info in METRICS.items():
        assert info.description and info.citation, name
        assert any(ch.isdigit() for ch in info.citation), f"{name}: citation lacks a year"
