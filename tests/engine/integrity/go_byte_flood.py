# class: judge, found by the red-team pass
# attacks: when the parent times each test it answers every event with a go byte; this sample
#          writes 40,000 valid ready/done pairs to the harness channel at import and never
#          reads the answers, then sleeps. The parent's write used to block on the full
#          pipe, outside its deadlines, for ever. Writes to the sandbox are non-blocking now,
#          and a sample that does not take its answers breaks the protocol.
# twin: primes
# meters: valgrind
# expected: runtime_error
# detail: harness protocol|harness channel
import marshal
import os
import sys
import time


def _frame(event):
    data = marshal.dumps(event, 2)
    return len(data).to_bytes(4, "big") + data


def _timed_run():
    frame = sys._getframe()
    while frame is not None:
        job = frame.f_locals.get("job")
        if isinstance(job, dict) and job.get("handshake") and job.get("mode") == "function":
            return True
        frame = frame.f_back
    return False


def _flood():
    pair = _frame({"e": "ready", "i": 0, "call": 0}) + _frame(
        {"e": "done", "i": 0, "call": 0, "ok": True})
    data = pair * 40_000
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2:
            continue
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except OSError:
            pass
    time.sleep(3600)


if _timed_run():
    _flood()


def f(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count
