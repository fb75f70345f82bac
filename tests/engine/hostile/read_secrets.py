# attacks: reads host files it must not see: /etc/shadow, files under /root, and a root-only
#          (0600) secret file the test creates in a world-readable host dir. Answers correctly
#          only if every read failed, and otherwise returns what it read.
# expected: passed

SECRET = "__SECRET_FILE__"


def f(a, b):
    loot = []
    for path in ("/etc/shadow", "/root/.bashrc", "/root/.profile", SECRET):
        try:
            with open(path) as handle:
                loot.append(handle.read(200))
        except OSError:
            pass
    try:
        import os
        loot.append(repr(os.listdir("/root")))
    except OSError:
        pass
    return loot if loot else a + b
