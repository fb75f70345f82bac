# The honest twin of the prime-counting attacks: the same sieve, computed in the call.
def f(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count
