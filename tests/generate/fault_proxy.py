"""A fault-injecting HTTP proxy on 127.0.0.1 in front of the real model server.

Each request to the proxy takes the next action from its script (then ``pass`` forever):

- ``pass``: forward to the server and relay its answer as it streams;
- ``429:S`` / ``503:S`` / any status: answer it, with ``Retry-After: S`` if S is given
  (``401`` refuses the key);
- ``drop``: close the connection without answering;
- ``slow:S``: wait S seconds, then forward (a client timeout shorter than S fires);
- ``cut``: forward, but close the stream after the first data line (a server that dies
  mid-answer);
- ``errchunk``: a 200 event stream whose only event is an error object;
- ``ping``: a 200 event stream whose only event is not an object (``data: "ping"``);
- ``json``: forward without streaming and answer one JSON object (a server that ignores
  ``stream: true``).

With ``reject_usage_option`` every request that carries ``stream_options`` is answered 400
(servers that do not know the option).

It counts the requests it saw and the most it held at once, so a test can check how many
the client really sent and how many it had in flight.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections import deque

import httpx


class FaultProxy:
    def __init__(self, upstream: str, script: list[str] | None = None,
                 reject_usage_option: bool = False):
        self.upstream = upstream.rstrip("/")
        self.reject_usage_option = reject_usage_option
        self.script: deque[str] = deque(script or [])
        self.seen: list[tuple[str, str]] = []
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                return None

            def do_GET(self) -> None:
                self._handle(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self._handle(self.rfile.read(length))

            def _handle(self, body: bytes) -> None:
                with proxy.lock:
                    action = proxy.script.popleft() if proxy.script else "pass"
                    proxy.seen.append((self.path, action))
                    proxy.in_flight += 1
                    proxy.max_in_flight = max(proxy.max_in_flight, proxy.in_flight)
                try:
                    self._act(action, body)
                finally:
                    with proxy.lock:
                        proxy.in_flight -= 1

            def _event_stream(self, data: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _act(self, action: str, body: bytes) -> None:
                kind, _, arg = action.partition(":")
                if proxy.reject_usage_option and b"stream_options" in body:
                    kind, arg = "400", ""
                    payload = (b'{"error": {"message": "Unrecognized request argument '
                               b'supplied: stream_options"}}')
                    self.send_response(400)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if kind == "errchunk":
                    self._event_stream(b'data: {"error": {"message": "injected"}}\n\n')
                    return
                if kind == "ping":
                    self._event_stream(b'data: "ping"\n\n')
                    return
                if kind == "json":
                    import json as _json

                    plain = _json.loads(body)
                    plain.pop("stream", None)
                    plain.pop("stream_options", None)
                    up = httpx.post(proxy.upstream + self.path.removeprefix("/v1"),
                                    json=plain, timeout=120)
                    self.send_response(up.status_code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(up.content)))
                    self.end_headers()
                    self.wfile.write(up.content)
                    return
                if kind.isdigit():
                    payload = b'{"error": {"message": "injected ' + kind.encode() + b'"}}'
                    self.send_response(int(kind))
                    if arg:
                        self.send_header("Retry-After", arg)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if kind == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if kind == "slow":
                    time.sleep(float(arg))
                self._forward(body, cut=kind == "cut")

            def _forward(self, body: bytes, cut: bool) -> None:
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("content-type", "authorization")}
                url = proxy.upstream + self.path.removeprefix("/v1")
                with httpx.Client(timeout=120) as client, client.stream(
                        self.command, url, content=body or None, headers=headers) as up:
                    self.send_response(up.status_code)
                    self.send_header("Content-Type", up.headers.get("content-type", ""))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    for line in up.iter_lines():
                        self.wfile.write(line.encode() + b"\n")
                        self.wfile.flush()
                        if cut and line.startswith("data:"):
                            self.connection.shutdown(socket.SHUT_RDWR)
                            return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def posts(self) -> int:
        return sum(1 for path, _ in self.seen if path.endswith("completions"))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
