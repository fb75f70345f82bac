# class: judge (host)
# attacks: builds a directory chain 5,000 deep in its work dir and /tmp (the parent's
#          rmtree used to raise RecursionError on it, leave the run dir behind and crash every
#          later start in the stale-dir sweep). The directories are in the call's own tmpfs
#          and vanish with it; the inode limit stops the chain early.
# twin: primes
# meters: cpu_time
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


def _dig(top):
    try:
        fd = os.open(top, os.O_RDONLY)
        for _ in range(5000):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        os.close(fd)
    except OSError:
        pass


def f(n):
    _dig("/work")
    _dig("/tmp")
    return _count(n)
