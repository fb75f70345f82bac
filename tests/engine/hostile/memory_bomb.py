# attacks: allocates (and touches) memory in 16 MiB chunks until something stops it.
# expected: memory_limit


def f(a, b):
    hoard = []
    while True:
        hoard.append(bytearray(16 << 20))
