# class: 4 (state shared between measured calls), found by the red-team pass
# attacks: the zygote's own valgrind record file lives as long as the run; the load call
#          (whose cost is reported, not charged) computes a table of answers and writes it
#          there, and each measured call reads its answer back (26,888 instructions against
#          514 million). The file is writable only until callgrind has started.
# twin: primes
# meters: valgrind
# expected: passed
import os
import sys

PATH = "/cg/cg.out.1"


def _count(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count


def _is_load_call():
    frame = sys._getframe()
    while frame is not None:
        if frame.f_locals.get("kind") == "load":
            return True
        frame = frame.f_back
    return False


if _is_load_call():
    try:
        with open(PATH, "w") as handle:
            handle.write(" ".join(str(_count(n)) for n in (20_000, 30_000)))
    except OSError:
        pass


def f(n):
    try:
        with open(PATH) as handle:
            table = dict(zip((20_000, 30_000), map(int, handle.read().split())))
        if n in table:
            return table[n]
    except (OSError, ValueError):
        pass
    return _count(n)
