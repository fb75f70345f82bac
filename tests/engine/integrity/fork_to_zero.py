# class: 2 (the meter controlled from inside)
# attacks: the judge's processes zero callgrind's counts just before they fork
#          (--zero-before=pj_judge_forks), so a sample that could fork after its work, or
#          reach that function, would be charged nothing. Does the work, then forks by every
#          route it can find, swallowing each refusal, and returns the answer. Its forks run
#          the sandboxed child's fork handler, which never calls the zeroing function, and
#          forking while measured is refused in any case; the swallowed refusals leave a
#          passing sample charged its full work.
# twin: primes
# meters: valgrind cpu_time
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


def _fork_every_way():
    for attempt in (os.fork, lambda: os.forkpty()[0],
                    lambda: os.posix_spawn("/bin/true", ["true"], {})):
        try:
            pid = attempt()
            if pid == 0:
                os._exit(0)
        except BaseException:
            pass


def f(n):
    result = _count(n)
    _fork_every_way()
    return result
