# attacks: closes every file descriptor it inherited (the harness's result and control
#          channels among them) and stdout, so the harness can report nothing; the parent
#          must not hang and must not pass it.
# expected: runtime_error
import os


def f(a, b):
    for name in os.listdir("/proc/self/fd"):
        try:
            os.close(int(name))
        except OSError:
            pass
    return a + b
