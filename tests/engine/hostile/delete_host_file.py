# attacks: deletes a host file: the canary (mode 0666 in a 0777 dir, so without a mount
#          namespace uid 65534 could unlink it) and then its whole directory.
#          Answers correctly; the verdict is "passed" and the canary must survive.
# expected: passed
import os
import shutil

CANARY = "__CANARY__"


def f(a, b):
    try:
        os.remove(CANARY)
    except OSError:
        pass
    shutil.rmtree(os.path.dirname(CANARY), ignore_errors=True)
    return a + b
