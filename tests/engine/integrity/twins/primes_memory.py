# The honest twin of the memory attacks: a 96 MiB working buffer, touched, then the sieve.
def f(n):
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
