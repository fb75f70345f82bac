# class: 2 (the meter controlled from inside)
# attacks: does the work, writes a forged record, then lowers its own file-size limit to
#          zero so that valgrind cannot write the real record at exit: the forged one would
#          stay. valgrind truncates the file before writing, so what is left is empty, and a
#          call with an unusable record is a failure that names the tampering.
# twin: primes
# meters: valgrind
# expected: tampering
# detail: measurement of this call is unusable
import os
import resource
import signal


def _count(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count


def f(n):
    result = _count(n)
    try:
        with open("/cg/cg.out.%d" % os.getpid(), "wb") as handle:
            handle.write(b"pid: %d\ntotals: 1\n" % os.getpid())
    except OSError:
        pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    return result
