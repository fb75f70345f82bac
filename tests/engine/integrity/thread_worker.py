# class: 3 (work in processes the meter does not see)
# attacks: does the work in a thread started at import and joined in the call. Threads are
#          part of the call's process: every meter counts them.
# twin: primes
# meters: valgrind cpu_time
# expected: passed
import threading

_results = {}


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
    worker = threading.Thread(target=lambda: _results.__setitem__(n, _count(n)))
    worker.start()
    worker.join()
    return _results[n]
