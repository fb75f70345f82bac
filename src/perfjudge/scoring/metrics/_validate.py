"""Input checks shared by the metric modules: bad input gets a precise error, never a silent drop."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np


def check_counts(n: int, c: int, k: int) -> None:
    """Validate (samples, successes, k) for a pass@k-style estimator."""
    for name, value in (("n", n), ("c", c), ("k", k)):
        if isinstance(value, bool) or int(value) != value:
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if n < 1:
        raise ValueError(f"n (number of samples) must be >= 1, got {n}")
    if not 0 <= c <= n:
        raise ValueError(f"c (successful samples) must be in [0, n={n}], got {c}")
    if not 1 <= k <= n:
        raise ValueError(f"k must be in [1, n={n}], got {k}")


def positive(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value


def nonnegative(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


def array_1d(name: str, values: Iterable[float], *, min_len: int = 1, lower: float | None = None,
             strict: bool = False) -> np.ndarray:
    """A finite 1-D float array; ``lower`` with ``strict`` bounds every element."""
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size < min_len:
        raise ValueError(f"{name} needs at least {min_len} value(s), got {arr.size}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"{name} has a non-finite value at index {int(np.argmax(bad))}: {arr[bad][0]!r}")
    if lower is not None:
        bad = arr <= lower if strict else arr < lower
        if bad.any():
            i = int(np.argmax(bad))
            op = ">" if strict else ">="
            raise ValueError(f"{name}[{i}] = {arr[i]!r}; every value must be {op} {lower}")
    return arr


def same_length(a_name: str, a: Sequence[object], b_name: str, b: Sequence[object]) -> None:
    if len(a) != len(b):
        raise ValueError(f"{a_name} has {len(a)} values but {b_name} has {len(b)}; they must pair up")
