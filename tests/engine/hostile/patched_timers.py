# attacks: patches every clock in the time module to a constant, then does real work (~0.1 s of
#          CPU per call). The cpu_time meter reads the cgroup from the parent, so the measured
#          cost must still reflect the work.
# expected: passed
import time

for _name in ("perf_counter", "perf_counter_ns", "process_time", "process_time_ns",
              "monotonic", "monotonic_ns", "time", "time_ns", "thread_time", "thread_time_ns"):
    setattr(time, _name, (lambda: 0) if _name.endswith("_ns") else (lambda: 0.0))


def f(a, b):
    total = 0
    for i in range(1_500_000):
        total += i & 1
    return a + b
