# class: 3 (work in processes the meter does not see)
# attacks: tries to get code into the harness's zygote (which forks every later call): its
#          memory through /proc/1/mem, signals to it and to the process group, ptrace via
#          /proc, its file descriptors; any success would let later calls run precomputed
#          code. All are refused; then it does the work honestly.
# twin: primes
# meters: valgrind cpu_time
# expected: passed
import os
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


def _attack():
    for path, mode in (("/proc/1/mem", "r+b"), ("/proc/1/fd/0", "rb"), ("/proc/1/environ", "rb")):
        try:
            with open(path, mode) as handle:
                handle.write(b"\x90")
        except (OSError, ValueError):
            pass
    for pid, sig in ((1, signal.SIGSTOP), (1, signal.SIGUSR1), (0, signal.SIGTERM),
                     (-1, signal.SIGKILL), (os.getppid(), signal.SIGSTOP)):
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    try:
        os.setpgid(0, 1)
    except OSError:
        pass


_attack()


def f(n):
    _attack()
    return _count(n)
