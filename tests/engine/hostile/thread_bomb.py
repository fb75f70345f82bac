# attacks: starts threads (bounded at 5000) that sleep, until refused. Answers correctly only if
#          thread creation was refused.
# expected: passed
import threading
import time


def f(a, b):
    for _ in range(5000):
        try:
            threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        except RuntimeError:
            return a + b
    return "not refused"
