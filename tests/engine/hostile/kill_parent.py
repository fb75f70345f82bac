# attacks: kills its parent (os.kill(os.getppid(), SIGKILL)), pid 1, and then everything it can
#          signal (kill(-1, SIGKILL)), which outside a pid namespace would hit every process of
#          uid 65534 on the host (the test runs one as a sentinel). Then answers correctly.
# expected: passed
import os
import signal


def f(a, b):
    for pid in (os.getppid(), 1, -1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return a + b
