# attacks: a daemon that tries to outlive the run: double fork + setsid, the grandchild closes
#          nothing (it keeps stdout/stderr open), sleeps, then writes a file to a host dir and
#          to its work dir. The call itself answers correctly at once. After the run no process
#          of the sandbox uid may remain and nothing may be written.
# expected: passed
import os
import time

CANARY_DIR = "__CANARY_DIR__"


def f(a, b):
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1.5)
            for target in (CANARY_DIR + "/daemon-was-here", "/work/daemon-was-here"):
                try:
                    with open(target, "w") as handle:
                        handle.write("still alive")
                except OSError:
                    pass
            time.sleep(60)
        os._exit(0)
    os.waitpid(pid, 0)
    return a + b
