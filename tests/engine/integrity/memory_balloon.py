# class: 5 (a baseline the sample can move)
# attacks: peak memory is measured above a baseline; this sample inflates its memory at
#          import (a 96 MiB buffer and a 48 MiB file in the tmpfs), frees both in the call
#          and then allocates its 96 MiB working set, hoping the baseline was taken after the
#          import (a 323 MB sample measured 0 bytes before). The baseline is now taken before
#          its first instruction.
# twin: primes_memory
# meters: peak_memory
# expected: passed
import os

_balloon = bytearray(96 << 20)
for _k in range(0, len(_balloon), 4096):
    _balloon[_k] = 1
try:
    with open("/dev/shm/balloon", "wb") as _handle:
        _handle.write(b"x" * (48 << 20))
except OSError:
    pass


def f(n):
    global _balloon
    _balloon = None
    try:
        os.unlink("/dev/shm/balloon")
    except OSError:
        pass
    work = bytearray(96 << 20)
    for k in range(0, len(work), 4096):
        work[k] = 1
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count + work[0] - 1
