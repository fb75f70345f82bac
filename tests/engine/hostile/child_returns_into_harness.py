# attacks: forks and lets the child *return* from the call too, so two copies of the harness
#          continue the protocol on the same result fd (duplicate events, out of order).
# expected: runtime_error
import os


def f(a, b):
    os.fork()
    return a + b
