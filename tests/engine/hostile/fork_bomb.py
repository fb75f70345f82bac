# attacks: a (bounded) fork bomb: the call forks up to 1000 children, each of which forks once
#          more and then sleeps (at most 2000 processes if nothing stops it). It answers
#          correctly only if a fork was refused; every child must be killed at the end of the run.
# expected: passed
import os
import time


def _child():
    try:
        try:
            os.fork()
        except OSError:
            pass
        time.sleep(60)
    finally:
        os._exit(0)


def f(a, b):
    for _ in range(1000):
        try:
            pid = os.fork()
        except OSError:
            return a + b
        if pid == 0:
            _child()
    return "not refused"
