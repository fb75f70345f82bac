# class: 6 (found here: right once, cheap after)
# attacks: time meters call the sample several times and keep the median; this one does
#          the work only in some of its processes (one pid in three) and answers 0 at once in
#          the others, so most repeats would be free. Every repeat's output is checked.
# twin: primes
# meters: cpu_time wall_time
# expected: wrong_answer
# detail: wrong output|different output
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


_honest = os.getpid() % 3 == 0


def f(n):
    return _count(n) if _honest or n < 5000 else 0
