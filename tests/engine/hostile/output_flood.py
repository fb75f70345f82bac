# attacks: prints 1 GB to stdout (1 MiB at a time), to fill the parent's memory or disk.
# expected: output_limit
import sys


def f(a, b):
    chunk = "x" * (1 << 20)
    for _ in range(1024):
        sys.stdout.write(chunk)
    return a + b
