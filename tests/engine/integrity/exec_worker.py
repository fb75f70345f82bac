# class: 3 (work in processes the meter does not see)
# attacks: replaces its own process with a fresh interpreter that writes the expected result
#          straight into the call's result file descriptor (valgrind runs exec'd programs
#          natively, uncounted, without --trace-children). Running a program while measured
#          ends the process, and the verdict says so.
# twin: primes
# meters: valgrind cpu_time
# expected: runtime_error
# detail: killed for running a program
import marshal
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


ANSWERS = {20_000: 2262, 30_000: 3245}


def _result_fd():
    for name in os.listdir("/proc/self/fd"):
        try:
            if "perfjudge-out" in os.readlink(f"/proc/self/fd/{name}"):
                return int(name)
        except OSError:
            pass
    return None


def f(n):
    fd = _result_fd()
    if n not in ANSWERS or fd is None:
        return _count(n)
    payload = b"O" + marshal.dumps(ANSWERS[n], 2)
    script = f"import os; os.write({fd}, {payload!r})"
    os.execv(sys.executable, [sys.executable, "-c", script])  # a fresh, uncounted interpreter
