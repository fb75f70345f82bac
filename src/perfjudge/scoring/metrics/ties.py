"""When two costs are the same cost: the meter's resolution as a tie band.

Every score that decides a level or a win (EvalPerf's level a sample reaches, COFFE's
"cheaper than the best reference", Mercury's position at the ends of the range, ENAMEL's
per-level efficiency at the reference and at the timeout, PIE's floor at 1.0) compares two
measured costs. A measurement has a resolution; deciding on a difference smaller than it
decides on noise, and the same program measured twice can then land on either side (perfjudge
0.1: a sample measured 17 instructions from its level's reference flipped DPS between two
runs of the same samples). So: two costs whose difference is within the band are equal, and
"cheaper" means cheaper by more than the band.

The band of a comparison of a and b over ``tests`` measured tests is
``max(absolute x tests, relative x max(a, b), spread)``, where ``absolute`` and ``relative``
are the meter's resolution (`perfjudge.meters.Meter.resolution`; for valgrind measured by
`perf/reproducibility.py`) and ``spread`` is what the two measurements themselves say
about their noise (time meters: their MADs, added). ``Resolution()`` is exact comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Resolution:
    absolute: float = 0.0
    """Per measured test, in the meter's unit."""
    relative: float = 0.0
    """A fraction of the larger cost."""

    def band(self, a: float, b: float, tests: int = 1, spread: float = 0.0) -> float:
        return max(self.absolute * max(1, tests), self.relative * max(abs(a), abs(b)),
                   spread if math.isfinite(spread) else 0.0)

    def same(self, a: float, b: float, tests: int = 1, spread: float = 0.0) -> bool:
        """a and b cannot be told apart."""
        return abs(a - b) <= self.band(a, b, tests, spread)

    def less(self, a: float, b: float, tests: int = 1, spread: float = 0.0) -> bool:
        """a is cheaper than b by more than the band."""
        return a < b - self.band(a, b, tests, spread)

    def at_most(self, a: float, b: float, tests: int = 1, spread: float = 0.0) -> bool:
        """a is cheaper than b or the same."""
        return a <= b + self.band(a, b, tests, spread)


EXACT = Resolution()
