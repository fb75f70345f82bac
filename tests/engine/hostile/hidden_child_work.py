# attacks: hides its work in a child process (fork, burn ~0.3 s of CPU, wait), so a meter that
#          only counts the call's own process (valgrind) would see almost nothing. Correctness
#          runs may fork; a measured call may not: the fork is refused and the verdict says why.
# expected: runtime_error
import os
import time


def _burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def f(a, b):
    pid = os.fork()
    if pid == 0:
        _burn(0.3)
        os._exit(0)
    os.waitpid(pid, 0)
    return a + b
