# class: judge, found by the red-team pass
# attacks: in the load call it writes a go byte back into its go pipe (the call looked as if it
#          never started), and in the measured calls it spins for ever: the verdict was
#          'sandbox_error' instead of 'timeout'.
# twin: primes
# meters: cpu_time
# expected: timeout
# detail: time limit
import os
import sys

_kind = None
frame = sys._getframe()
while frame is not None:
    _kind = _kind or frame.f_locals.get("kind")
    go_r = frame.f_locals.get("go_r")
    if isinstance(go_r, int) and _kind == "load":
        try:
            fd = os.open("/proc/self/fd/%d" % go_r, os.O_WRONLY)
            os.write(fd, b"g")
            os.close(fd)
        except OSError:
            pass
    frame = frame.f_back


def f(n):
    while _kind == "sample":
        pass
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count
