# class: 4 (state shared between measured repeats)
# attacks: the first measured repeat computes and stores the answer in /tmp, /work, /dev/shm
#          and $HOME; the others read it, so the median of the repeats is a file read (25x
#          cheaper before). Every call now starts with empty private directories.
# twin: primes
# meters: valgrind cpu_time wall_time
# expected: passed
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


PLACES = ("/tmp", "/work", "/dev/shm", os.environ.get("HOME", "/work"))


def f(n):
    for place in PLACES:
        try:
            with open(f"{place}/pj-cache-{n}") as handle:
                return int(handle.read())
        except (OSError, ValueError):
            pass
    answer = _count(n)
    for place in PLACES:
        try:
            with open(f"{place}/pj-cache-{n}", "w") as handle:
                handle.write(str(answer))
        except OSError:
            pass
    return answer
