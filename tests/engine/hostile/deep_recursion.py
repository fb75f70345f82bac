# attacks: raises the recursion limit to 10**9 and recurses through C code (map -> the
#          function -> map ...), so the interpreter overflows its C stack and dies with SIGSEGV.
#          The verdict must be runtime_error (the sample crashed), not a harness failure.
# expected: runtime_error
# limits: stack_bytes=33554432
import sys


def _down(n):
    return list(map(_down, [n + 1]))


def f(a, b):
    sys.setrecursionlimit(10 ** 9)
    return _down(0)
