# class: judge (host)
# attacks: writes the header of a 200 MiB frame and then 64 MiB that never complete it to
#          every inherited pipe (the result channel among them): the parent used to re-split
#          one growing line for every chunk, 34 s of its CPU for 64 MiB. Frames are read in
#          one pass, and a channel that ends inside a frame is a broken protocol.
# twin: primes
# meters:
# expected: runtime_error
# detail: harness channel
import os

_flooded = False


def f(n):
    global _flooded
    if _flooded:
        return 0
    _flooded = True
    junk = b"x" * (1 << 20)
    header = (200 << 20).to_bytes(4, "big")
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2:
            continue
        try:
            os.write(fd, header)
            for _ in range(64):
                os.write(fd, junk)
        except OSError:
            pass
    return 0
