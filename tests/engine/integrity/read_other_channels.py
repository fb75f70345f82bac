# class: 1 (inputs visible before the window)
# attacks: at import, reads every place an input used to be or might be: the old job file,
#          its own and the zygote's command line and environment, every inherited file
#          descriptor that can be read at an offset (memfds), and caches whatever numbers it finds with
#          their answers. None of them holds another call's input; whatever it computes is
#          inside the window.
# twin: primes
# meters: valgrind cpu_time
# expected: passed
import os
import re


def _count(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count


def _loot():
    text = b""
    for path in ("/work/job.json", "/proc/self/cmdline", "/proc/1/cmdline", "/proc/1/environ",
                 "/proc/self/environ", "/proc/1/maps"):
        try:
            with open(path, "rb") as handle:
                text += handle.read(1 << 20)
        except OSError:
            pass
    for name in os.listdir("/proc/self/fd"):
        try:
            text += os.pread(int(name), 1 << 20, 0)  # files and memfds; pipes refuse it
        except (OSError, ValueError):
            pass
    return {int(m) for m in re.findall(rb"\b\d{4,7}\b", text)}


_ANSWERS = {n: _count(n) for n in _loot() if 1000 < n < 400_000}


def f(n):
    return _ANSWERS[n] if n in _ANSWERS else _count(n)
