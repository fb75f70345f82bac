"""Judging outputs in the parent: the sample's process never sees expected values.

Outputs arrive as decoded plain data (`harness.decode` rejects anything else), so ``==`` here
runs only built-in comparisons; a sample cannot smuggle in an object whose ``__eq__`` lies.
"""

from __future__ import annotations

import math
from typing import Any

from perfjudge.records.task import Comparison


def _is_floats(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, (list, tuple)) and value:
        return all(isinstance(v, float) for v in value)
    return False


def _allclose(out: Any, exp: Any, atol: float, rtol: float = 1e-07) -> bool:
    """``numpy.allclose(out, exp, rtol=1e-07, atol)`` for scalars and flat sequences."""
    outs = out if isinstance(out, (list, tuple)) else [out]
    exps = exp if isinstance(exp, (list, tuple)) else [exp]
    if len(outs) != len(exps):
        return False
    for o, e in zip(outs, exps):
        if isinstance(o, bool) or not isinstance(o, (int, float)) or not isinstance(e, (int, float)):
            return False
        if math.isnan(o) or math.isnan(e):
            return False
        if math.isinf(o) or math.isinf(e):
            if o != e:
                return False
            continue
        if abs(o - e) > atol + rtol * abs(e):
            return False
    return True


def values_match(out: Any, exp: Any, atol: float = 0.0) -> bool:
    """EvalPlus's rule (``evalplus/eval/__init__.py``, ``unsafe_execute``): exact equality,
    else, when floats are expected, ``allclose`` with ``rtol=1e-07`` and ``atol`` (``1e-6`` when
    the task gives none), after checking type and length."""
    try:
        if out == exp:
            return True
    except RecursionError:
        return False
    if atol == 0 and _is_floats(exp):
        atol = 1e-6
    if atol == 0:
        return False
    if type(out) is not type(exp):
        return False
    return _allclose(out, exp, atol)


def tokens_match(stdout: str, expected: str) -> bool:
    """Competitive-judge comparison: whitespace-separated tokens must be identical."""
    return stdout.split() == expected.split()


def compare(comparison: Comparison, out: Any, exp: Any) -> bool:
    if comparison.kind == "tokens":
        return isinstance(out, str) and tokens_match(out, exp)
    if comparison.kind in ("exact", "atol", "replay"):
        return values_match(out, exp, comparison.atol)
    raise ValueError(f"comparison {comparison.kind!r} is not decided in the parent")


def short_repr(value: Any, limit: int = 300) -> str:
    try:
        text = repr(value)
    except RecursionError:
        text = "<deeply nested value>"
    except ValueError:  # an int past sys.get_int_max_str_digits()
        text = f"<{type(value).__name__} too large to print>"
    return text if len(text) <= limit else text[: limit - 20] + f"... ({len(text)} chars)"
