"""One test's repeated measurements as one figure with its noise next to it."""

from __future__ import annotations

import statistics

from perfjudge.records.result import Measurement
from perfjudge.store import machine_fingerprint


def summarize(meter, values: list[float], test_index: int | None,
              level: str | None = None) -> Measurement:
    """Median with the median absolute deviation and CV: robust to the odd slow repeat."""
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    mean = statistics.fmean(values)
    cv = statistics.pstdev(values) / mean if len(values) > 1 and mean else 0.0
    return Measurement(meter=meter.name, unit=meter.unit, value=median, repeats=len(values),
                       spread=mad, cv=cv, samples=tuple(values), test_index=test_index,
                       level=level,
                       machine="" if meter.deterministic else machine_fingerprint())
