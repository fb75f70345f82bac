# class: 5 (a baseline the sample can move), found by the red-team pass
# attacks: peak memory is the run's cgroup above its level when the call starts; the load call
#          reads a large file, charging its page cache to the run, and each measured call
#          drops that cache (fadvise DONTNEED) so the level falls below the baseline, works
#          in the room it made, and reads the file back (6 MB against 136 MB). Each measured
#          call now has a cgroup of its own that starts empty, and eviction is refused.
# twin: primes_memory
# meters: peak_memory
# expected: passed
import os


def _big_file():
    best, size = None, 0
    for root, _, files in os.walk("/usr/bin"):
        for name in files:
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            if st.st_size > size:
                best, size = path, st.st_size
    return best


_PATH = _big_file()


def _touch_all():
    try:
        with open(_PATH, "rb") as handle:
            while handle.read(1 << 20):
                pass
    except (OSError, TypeError):
        pass


def _drop():
    try:
        fd = os.open(_PATH, os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
    except (OSError, TypeError):
        pass


_touch_all()


def f(n):
    _drop()
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
    _touch_all()
    return count + work[0] - 1
