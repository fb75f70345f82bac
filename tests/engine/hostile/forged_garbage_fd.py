# attacks: writes malformed data (not JSON, then JSON that is not an event) to the result fd,
#          hoping to crash the parent's reader or confuse its parser, then answers correctly.
# expected: runtime_error
import os
import sys


def f(a, b):
    fd = int(sys.argv[2])
    os.write(fd, b"\x00\xff not json {{{\n[1, 2, 3]\n" + b"[" * 100000 + b"\n")
    return a + b
