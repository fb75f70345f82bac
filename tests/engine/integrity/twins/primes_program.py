# The honest twin of the program-mode attacks: read n, print the number of primes below it.
import sys

n = int(sys.stdin.read())
flags = [True] * n
count = 0
for i in range(2, n):
    if flags[i]:
        count += 1
        for j in range(i * i, n, i):
            flags[j] = False
print(count)
