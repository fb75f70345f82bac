# class: 4 (state shared between measured repeats), program mode
# attacks: a stdin/stdout program that caches its output in /tmp keyed by its input: the
#          unmeasured warm-up run used to fill the cache for the measured one (266x under
#          valgrind). Each run now has its own empty /tmp.
# twin: primes_program
# task: primes_program
# meters: valgrind cpu_time
# expected: passed
import os
import sys

n = int(sys.stdin.read())
cache = f"/tmp/pj-out-{n}"
if os.path.exists(cache):
    sys.stdout.write(open(cache).read())
else:
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    with open(cache, "w") as handle:
        handle.write(f"{count}\n")
    print(count)
