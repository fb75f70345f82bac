# class: judge, found by the red-team pass
# attacks: wrong on every performance input, and writes a go byte back into its go pipe (found
#          through the harness's frames) so that the zygote reported it as never started:
#          'sandbox_error', the verdict that blames the machine and is not stored. Whether a
#          call started is decided by a byte only the harness's own code sends, and the pipe
#          is closed before the sample runs.
# twin: primes
# meters: cpu_time valgrind
# expected: wrong_answer
# detail: wrong output
import os
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


frame = sys._getframe()
while frame is not None:
    go_r = frame.f_locals.get("go_r")
    if isinstance(go_r, int):
        try:
            fd = os.open("/proc/self/fd/%d" % go_r, os.O_WRONLY)
            os.write(fd, b"g")
            os.close(fd)
        except OSError:
            pass
    frame = frame.f_back


def f(n):
    return -1 if n > 5000 else _count(n)
