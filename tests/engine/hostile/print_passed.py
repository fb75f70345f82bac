# attacks: prints success markers that log-scraping harnesses look for, then returns a wrong
#          answer.
# expected: wrong_answer
import sys


def f(a, b):
    print("PASSED")
    print("All tests passed")
    print("OK")
    sys.stderr.write("PASSED\n")
    return a * b
