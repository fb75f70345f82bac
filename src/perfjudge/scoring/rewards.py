"""Rewards for RL trainers: one number per judged sample, chosen per request. Pure.

- ``pass``: 1 if the sample passed every test, else 0; the binary execution reward of
  CodeRL (Le et al. 2022, NeurIPS, "CodeRL", §3.2, without its -0.3/-0.6 error grades)
  and of verl's sandbox-fusion reward (``verl/utils/reward_score/sandbox_fusion``, whose
  ``continuous=False`` score is all tests passed or not).
- ``pass_rate``: the fraction of the task's correctness tests passed, as verl's
  ``continuous=True`` score (passed cases / cases). **Deliberate difference:** perfjudge
  stops a sample at its first failing test (EvalPlus's rule: later inputs are not run),
  so the count is the tests passed *before* the first failure; a sample that fails test 3
  of 10 scores 0.3 even if tests 4-10 would pass. It never overstates.
- ``efficiency``: correctness times a bounded function of reference cost over sample
  cost, the shape of ACECode's reward (Yang et al. 2024, arXiv 2412.17264, §3.2: a correct
  program earns 0.5 plus up to 0.5 for running as fast as the human reference):
  ``0.5 + 0.5 * min(speedup, cap) / cap`` for a correct sample, where ``speedup`` is the
  canonical reference's cost over the sample's under the request's meter (deterministic
  instruction counts by default, where ACECode uses wall time), and 0 for an incorrect one
  (ACECode's negative grades for failures are replaced by 0 so that all three rewards share
  one range, [0, 1]). With ``cap`` = 1 (the default, ACECode's) beating the reference earns
  nothing more than matching it; a larger cap keeps rewarding speedups up to ``cap``.
"""

from __future__ import annotations

import math

REWARDS = ("pass", "pass_rate", "efficiency")


def pass_reward(passed: bool) -> float:
    return 1.0 if passed else 0.0


def pass_rate_reward(tests_passed: int, tests_total: int) -> float:
    """``tests_passed / tests_total`` in [0, 1]; 0 when the task has no tests counted."""
    if tests_total <= 0:
        return 0.0
    if tests_passed < 0 or tests_passed > tests_total:
        raise ValueError(f"tests_passed must be in [0, {tests_total}], got {tests_passed}")
    return tests_passed / tests_total


def efficiency_reward(passed: bool, speedup: float | None, cap: float = 1.0) -> float:
    """ACECode's shape (module docstring): 0 if incorrect; 0.5 if correct with no cost to
    compare (no reference measured, or no meter); else ``0.5 + 0.5 * min(speedup, cap) / cap``."""
    if not cap > 0 or not math.isfinite(cap):
        raise ValueError(f"cap must be a finite number > 0, got {cap!r}")
    if not passed:
        return 0.0
    if speedup is None:
        return 0.5
    if not speedup >= 0 or not math.isfinite(speedup):
        raise ValueError(f"speedup must be a finite number >= 0, got {speedup!r}")
    return 0.5 + 0.5 * min(speedup, cap) / cap


def reward(name: str, *, passed: bool, tests_passed: int = 0, tests_total: int = 0,
           speedup: float | None = None, cap: float = 1.0) -> float:
    """The reward ``name`` (one of `REWARDS`) of one judged sample."""
    if name == "pass":
        return pass_reward(passed)
    if name == "pass_rate":
        return 1.0 if passed else pass_rate_reward(tests_passed, tests_total)
    if name == "efficiency":
        return efficiency_reward(passed, speedup, cap)
    raise ValueError(f"unknown reward {name!r}; choose one of {', '.join(REWARDS)}")
