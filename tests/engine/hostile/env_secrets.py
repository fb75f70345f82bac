# attacks: reads environment secrets: returns the whole environment (the parent has
#          AWS_SECRET_ACCESS_KEY set), plus whatever /proc/*/environ it can read. The task's
#          reference returns None, so the verdict is "wrong_answer" and the returned
#          environment is shown in the failure; it must not contain the secret.
# expected: wrong_answer
import os


def f(a, b):
    env = dict(os.environ)
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/environ" % pid, "rb") as handle:
                    env["proc-" + pid] = handle.read().decode(errors="replace")
            except OSError:
                pass
    return env
