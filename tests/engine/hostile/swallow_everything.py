# attacks: an infinite loop that swallows every exception (KeyboardInterrupt, SystemExit) and
#          ignores every catchable signal (SIGTERM, SIGINT, SIGXCPU, SIGALRM, ...).
# expected: timeout
import signal


def f(a, b):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGALRM, signal.SIGHUP,
                signal.SIGUSR1, signal.SIGVTALRM, signal.SIGPROF):
        try:
            signal.signal(sig, signal.SIG_IGN)
        except (OSError, ValueError):
            pass
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
