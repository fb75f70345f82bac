# class: 4 (state shared between measured repeats), found by the red-team pass
# attacks: a channel through the host's page cache, which every sandbox shares: an earlier
#          run (the native pass, a discarded warm-up) stores each answer as which pages of a
#          large read-only file are cached (set by reading, cleared by fadvise DONTNEED);
#          the measured run reads them back with preadv(RWF_NOWAIT), which fails on an
#          uncached page. It was charged 951,254 instructions against 514 million. Evicting
#          and probing (fadvise, madvise COLD/PAGEOUT, mincore, cachestat, RWF_NOWAIT) are
#          refused, so it falls back to the honest work.
# twin: primes
# meters: valgrind cpu_time
# expected: passed
import os

PAGE = 4096
BITS = 1 + 16 + 32


def _count(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count


def _big_file():
    best, size = None, 0
    for top in ("/usr/bin",):
        for root, _, files in os.walk(top):
            for name in files:
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                if st.st_size > size:
                    best, size = path, st.st_size
    return best, size


_path, _size = _big_file()
try:
    _fd = os.open(_path, os.O_RDONLY)
except (OSError, TypeError):
    _fd = -1


def _page(n, k):
    return ((n % 61) * 64 + k + 16) * PAGE % max(PAGE, _size - PAGE)


def _read(n):
    bits = []
    for k in range(BITS):
        try:
            bits.append(os.preadv(_fd, [bytearray(1)], _page(n, k), os.RWF_NOWAIT) == 1)
        except OSError:
            return None  # refused (or the page was not cached)
    if not bits[0] or sum(1 << i for i in range(16) if bits[1 + i]) != (n * 40503) & 0xFFFF:
        return None
    return sum(1 << i for i in range(32) if bits[17 + i])


def _write(n, value):
    try:
        os.posix_fadvise(_fd, _page(n, 0), BITS * PAGE, os.POSIX_FADV_DONTNEED)
    except OSError:
        return  # refused: nothing can be cleared
    word = 1 | (((n * 40503) & 0xFFFF) << 1) | (value << 17)
    for k in range(BITS):
        if word >> k & 1:
            os.pread(_fd, 1, _page(n, k))


def f(n):
    if _fd < 0 or n < 5000:
        return _count(n)
    value = _read(n)
    if value is None:
        value = _count(n)
        _write(n, value)
    return value
