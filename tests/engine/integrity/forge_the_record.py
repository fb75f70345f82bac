# class: 2 (the meter controlled from inside)
# attacks: valgrind writes this call's instruction count into a file when the process exits;
#          the sample writes a forged record ("totals: 1") into its own record file and into
#          the ones the next calls would use, and tries to plant a FIFO and a link to
#          /dev/zero there (the parent used to open whatever it found: a FIFO hung it, the
#          link grew it to 1.3 GB). Its own file is truncated by valgrind at exit; the
#          directory takes no new entries.
# twin: primes
# meters: valgrind
# expected: passed
import os

FORGED = b"# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\npid: %d\ncmd: x\npart: 1\n\nevents: Ir\nsummary: 1\n\nfn=(1) f\n0 1\n\ntotals: 1\n"


def _count(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count


def _forge():
    me = os.getpid()
    for pid in [me] + list(range(me + 1, me + 8)) + [1]:
        path = "/cg/cg.out.%d" % pid
        try:
            with open(path, "wb") as handle:
                handle.write(FORGED % pid)
        except OSError:
            pass
    for name, make in (("fifo", lambda p: os.mkfifo(p)),
                       ("link", lambda p: os.symlink("/dev/zero", p))):
        for pid in range(me + 1, me + 8):
            try:
                make("/cg/cg.out.%d" % pid)
            except OSError:
                pass


def f(n):
    result = _count(n)
    _forge()
    return result
