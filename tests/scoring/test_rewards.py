"""Rewards (`perfjudge.scoring.rewards`) against values computed by hand."""

import math

import pytest

from perfjudge.scoring import rewards


def test_pass_is_binary():
    assert rewards.reward("pass", passed=True) == 1.0
    assert rewards.reward("pass", passed=False, tests_passed=9, tests_total=10) == 0.0


def test_pass_rate_counts_tests_before_the_first_failure():
    assert rewards.reward("pass_rate", passed=False, tests_passed=3, tests_total=10) == 0.3
    assert rewards.reward("pass_rate", passed=False, tests_passed=0, tests_total=7) == 0.0
    assert rewards.reward("pass_rate", passed=True, tests_passed=0, tests_total=0) == 1.0
    assert rewards.pass_rate_reward(0, 0) == 0.0
    with pytest.raises(ValueError):
        rewards.pass_rate_reward(11, 10)


@pytest.mark.parametrize("speedup, cap, expected", [
    (1.0, 1.0, 1.0),         # as fast as the reference: 0.5 + 0.5 * 1
    (0.5, 1.0, 0.75),        # twice as slow: 0.5 + 0.5 * 0.5
    (0.1, 1.0, 0.55),
    (3.0, 1.0, 1.0),         # faster than the reference earns no more (ACECode's cap)
    (3.0, 4.0, 0.875),       # 0.5 + 0.5 * 3 / 4
    (0.0, 1.0, 0.5),
])
def test_efficiency_follows_acecodes_shape(speedup, cap, expected):
    got = rewards.reward("efficiency", passed=True, speedup=speedup, cap=cap)
    assert math.isclose(got, expected)


def test_efficiency_of_a_failure_or_without_a_cost():
    assert rewards.reward("efficiency", passed=False, speedup=5.0) == 0.0
    assert rewards.reward("efficiency", passed=True, speedup=None) == 0.5


@pytest.mark.parametrize("bad", [{"speedup": -1.0}, {"speedup": math.inf}, {"cap": 0.0}])
def test_efficiency_refuses_nonsense(bad):
    with pytest.raises(ValueError):
        rewards.efficiency_reward(True, bad.get("speedup", 1.0), bad.get("cap", 1.0))


def test_unknown_reward():
    with pytest.raises(ValueError, match="pass, pass_rate, efficiency"):
        rewards.reward("speed", passed=True)
