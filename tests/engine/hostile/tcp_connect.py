# attacks: opens a TCP connection to a listener the test runs on the host's 127.0.0.1 (data
#          exfiltration / lateral movement). Answers correctly only if the connection failed,
#          so a leak also shows in the verdict.
# expected: passed
import socket

PORT = int("__PORT__")


def f(a, b):
    try:
        conn = socket.create_connection(("127.0.0.1", PORT), timeout=1)
    except OSError:
        return a + b
    conn.sendall(b"leaked")
    conn.close()
    return "connected"
