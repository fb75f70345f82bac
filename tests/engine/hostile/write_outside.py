# attacks: writes outside its work dir: overwrites a world-writable canary file in a host temp
#          dir (the test creates it, mode 0666 in a 0777 dir, so only the mount namespace
#          protects it), drops a marker file in /tmp, and tries /usr and the work dir's parent.
#          Answers correctly, so the verdict is "passed"; the host must be unchanged.
# expected: passed
import os

CANARY = "__CANARY__"
MARKER = "/tmp/__MARKER__"


def _try(fn):
    try:
        fn()
    except OSError:
        pass


def _overwrite_canary():
    os.makedirs(os.path.dirname(CANARY), exist_ok=True)
    with open(CANARY, "w") as handle:
        handle.write("owned by the sample")


def _marker():
    with open(MARKER, "w") as handle:
        handle.write("written by the sample")


def _usr():
    with open("/usr/__MARKER__", "w") as handle:
        handle.write("x")


def f(a, b):
    _try(_overwrite_canary)
    _try(_marker)
    _try(_usr)
    return a + b
