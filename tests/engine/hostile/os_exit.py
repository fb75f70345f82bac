# attacks: ends the process with status 0 before any check can run (os._exit(0)), the classic
#          fake pass of harnesses that run the checks inside the sample's process.
# expected: runtime_error
import os


def f(a, b):
    os._exit(0)
