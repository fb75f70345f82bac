# class: 3 (work in processes the meter does not see)
# attacks: forks a child that does the work and sends the answer back through a pipe; under
#          valgrind the child's instructions would land in a record nobody reads (subprocess
#          and multiprocessing fork the same way). Creating processes while measured is
#          refused, and the verdict says so.
# twin: primes
# meters: valgrind cpu_time
# expected: runtime_error
# detail: not allowed while a call is measured
import os


def _count(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count


def f(n):
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write_end, str(_count(n)).encode())
        os._exit(0)
    os.close(write_end)
    answer = int(os.read(read_end, 64))
    os.waitpid(pid, 0)
    return answer
