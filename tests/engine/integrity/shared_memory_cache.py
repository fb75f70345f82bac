# class: 4 (state shared between measured repeats)
# attacks: keeps answers in shared memory that would outlive the call: a named POSIX
#          shared-memory block (multiprocessing.shared_memory, /dev/shm) and a MAP_SHARED
#          mapping of a file. Each call has its own /dev/shm and IPC namespace, and the mmap
#          module is refused once sample code runs (it is half of the way to valgrind).
# twin: primes
# meters: valgrind cpu_time
# expected: runtime_error
# detail: mmap
import mmap
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


def _block():
    try:
        from multiprocessing import shared_memory
        try:
            return shared_memory.SharedMemory(name="pj-answers", create=True, size=4096)
        except FileExistsError:
            return shared_memory.SharedMemory(name="pj-answers")
    except Exception:
        return None


def _mapping():
    try:
        fd = os.open("/dev/shm/pj-map", os.O_RDWR | os.O_CREAT, 0o666)
        os.ftruncate(fd, 4096)
        return mmap.mmap(fd, 4096, mmap.MAP_SHARED)
    except Exception:
        return None


def f(n):
    block, mapping = _block(), _mapping()
    key = str(n).encode().ljust(16, b" ")
    for store in (block.buf if block else None, mapping):
        if store is not None and bytes(store[:16]) == key:
            return int(bytes(store[16:32]))
    answer = _count(n)
    value = str(answer).encode().ljust(16, b" ")
    for store in (block.buf if block else None, mapping):
        if store is not None:
            store[:32] = key + value
    return answer
