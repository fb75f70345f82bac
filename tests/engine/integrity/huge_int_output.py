# class: judge, found by the second red-team pass
# attacks: returns a 60 MB int where a count is expected; decoding it and comparing cost the
#          parent 9.7 s of CPU and 534 MB, once per repeat. An encoded output far larger than
#          the expected one is dropped by the zygote and refused by the parent before it is
#          decoded.
# twin: primes
# meters: cpu_time
# expected: wrong_answer
# detail: far larger than the expected
def f(n):
    if n < 5000:
        flags = [True] * n
        count = 0
        for i in range(2, n):
            if flags[i]:
                count += 1
                for j in range(i * i, n, i):
                    flags[j] = False
        return count
    return 1 << (8 * 60_000_000)
