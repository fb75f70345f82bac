# class: 1 (inputs visible before the window)
# attacks: at import, looks for the inputs anywhere in its process: the harness's frames
#          (sys._getframe), every object the garbage collector tracks; computes every answer
#          there, so the call is a lookup. Before, the import ran outside the measured window
#          and the zygote held every input. Now a measured process holds only its own input,
#          and its import runs inside its window.
# twin: primes
# meters: valgrind cpu_time
# expected: passed
import gc
import sys


def _count(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count


def _candidates():
    found = set()
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, list) and len(value) == 1 and isinstance(value[0], int):
                found.add(value[0])
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, list) and len(obj) == 1 and isinstance(obj[0], int) and obj[0] > 1000:
            found.add(obj[0])
    return {n for n in found if 0 < n < 10_000_000}


_ANSWERS = {n: _count(n) for n in _candidates()}


def f(n):
    if n in _ANSWERS:
        return _ANSWERS[n]
    return _count(n)
