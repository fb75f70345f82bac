"""Meters: what one measured call costs, behind one interface.

- `catalog`: the meters (valgrind, instructions, cpu_time, wall_time, peak_memory), what each
  measures, its resolution and tie band, where its numbers compare, whether it works here
- `counter`: the hardware instruction counter the parent opens on a call's process
- `summary`: repeated measurements of one test as one figure with its spread
"""

from perfjudge.meters.catalog import (METERS, Meter, MeterUnavailable, available_meters,
                                      default_meter, get_meter)
from perfjudge.meters.counter import (open_instruction_counter, perf_counter_available,
                                      read_counter)
from perfjudge.meters.summary import summarize

__all__ = ["METERS", "Meter", "MeterUnavailable", "available_meters", "default_meter",
           "get_meter", "open_instruction_counter", "perf_counter_available", "read_counter",
           "summarize"]
