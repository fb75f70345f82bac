# attacks: raises SystemExit(0) from the call, hoping the harness treats exit status 0 as a pass.
# expected: runtime_error
import sys


def f(a, b):
    sys.exit(0)
