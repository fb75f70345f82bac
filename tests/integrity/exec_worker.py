# class: 3 (work in processes the meter does not see)
# attacks: replaces its own process with a native program that writes the expected result
#          straight into the call's result file descriptor (valgrind runs exec'd programs
#          natively, uncounted, without --trace-children). Running a program while measured
#          ends the process, and the verdict says so.
# twin: primes
# meters: valgrind cpu_time
# expected: runtime_error
# detail: killed for running a program
import marshal
import os


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
    octal = "".join("\\%03o" % b for b in b"O" + marshal.dumps(ANSWERS[n], 2))
    os.execv("/bin/sh", ["sh", "-c", f"printf '{octal}' > /proc/self/fd/{fd}"])
