# class: judge, found by the red-team pass
# attacks: returns 16 million empty dicts in 32 MB of output; each decoded copy cost the parent
#          14 s and 1.1 GB, once per repeat. An output may not decode into far more values
#          than the expected one, and identical repeats are decoded once.
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
    return [{}] * 16_000_000
