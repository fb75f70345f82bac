# attacks: registers atexit handlers that print a success marker and exit 0, then returns a
#          wrong answer; a harness that trusts the exit path or the printed marker is fooled.
# expected: wrong_answer
import atexit
import os


def _fake_success():
    print("PASSED: all tests passed")
    os._exit(0)


atexit.register(_fake_success)


def f(a, b):
    atexit.register(_fake_success)
    return a - b
