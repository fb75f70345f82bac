# class: judge (host)
# attacks: tries to write 1 GB and 50,000 files into its work dir, /tmp and /dev/shm (a
#          passing sample used to write 1 GB and 50,000 files onto the host's disk). Each is
#          a tmpfs of 64 MiB and 4,096 inodes charged to the run's memory. It reports on
#          stderr how much it managed.
# twin: primes
# meters: cpu_time
# expected: passed
import os
import signal
import sys


def _count(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count


def _fill(top):
    written = files = 0
    block = b"x" * (1 << 20)
    try:
        with open(os.path.join(top, "big"), "wb") as handle:
            for _ in range(1024):
                handle.write(block)
                written += len(block)
    except OSError:
        pass
    try:
        for k in range(50_000):
            with open(os.path.join(top, f"f{k}"), "w"):
                pass
            files += 1
    except OSError:
        pass
    return written, files


def f(n):
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the file-size limit: EFBIG, not death
    if n > 5000:
        totals = [_fill(top) for top in ("/work", "/tmp", "/dev/shm")]
        sys.stderr.write("pj-filled bytes=%d files=%d\n" % (sum(t[0] for t in totals),
                                                          sum(t[1] for t in totals)))
        sys.stderr.flush()
    return _count(n)
