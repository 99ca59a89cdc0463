"""The load balancers' data plane on loopback: one HTTP server per listener offset, bound to the emulator's
loopback address; the Host header (``<lb-name>.localhost:<port>``) picks the load balancer. A listener's
default action runs as on an ALB: forward round robin to healthy targets (X-Forwarded-For/Proto/Port, the
client's Host), 503 with no healthy target, 502 when the target fails; redirect; fixed response.
HTTPS listeners answer plain HTTP here (no certificate locally)."""

from __future__ import annotations

import http.client
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from emulator.state import LOCK

log = logging.getLogger("emulator.proxy")

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"}


def _backends():
    from moto.elbv2.models import elbv2_backends

    for account in list(elbv2_backends.values()):
        yield from list(account.values())


def _action(listener) -> dict:
    actions = [a.data if hasattr(a, "data") else a for a in listener.default_actions or []]
    return actions[0] if actions else {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "awselb/2.0"

    def log_message(self, format, *args) -> None:  # noqa: A002 - BaseHTTPRequestHandler's signature
        log.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", (headers or {}).get("Content-Type", "text/html"))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def _error(self, status: int, phrase: str) -> None:
        title = f"{status} {phrase}"
        body = f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center></body></html>\n"
        self._send(status, body.encode())

    def _handle(self) -> None:
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        lb_name = name[: -len(".localhost")] if name.endswith(".localhost") else None
        offset = self.server.offset
        with LOCK:
            route = None
            for backend in _backends():
                listener = backend.route(lb_name, offset)
                if listener is not None:
                    route = (backend, listener, _action(listener))
                    break
            if route is None:
                target = None
            else:
                backend, listener, action = route
                target = None
                if action.get("Type") == "forward":
                    arn = action.get("TargetGroupArn") or (action.get("ForwardConfig", {}).get("TargetGroups") or [{}])[
                        0
                    ].get("TargetGroupArn")
                    picked = backend.next_target(arn) if arn else None
                    target = (picked.id, picked.port) if picked else None
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if route is None:
            self._error(503, "Service Temporarily Unavailable")
            return
        _, listener, action = route
        kind = action.get("Type")
        if kind == "redirect":
            config = action.get("RedirectConfig") or {}
            scheme = config.get("Protocol", "#{protocol}").replace("#{protocol}", "http").lower()
            port = str(config.get("Port", "#{port}")).replace("#{port}", str(self.server.server_port))
            path = config.get("Path", "/#{path}").replace("/#{path}", self.path.split("?")[0])
            code = 301 if config.get("StatusCode", "HTTP_301") == "HTTP_301" else 302
            self._send(code, b"", {"Location": f"{scheme}://{name}:{port}{path}"})
            return
        if kind == "fixed-response":
            config = action.get("FixedResponseConfig") or {}
            self._send(int(config.get("StatusCode", 200)), (config.get("MessageBody") or "").encode(),
                       {"Content-Type": config.get("ContentType", "text/plain")})  # fmt: skip
            return
        if target is None:
            self._error(503, "Service Temporarily Unavailable")
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        forwarded = self.headers.get("X-Forwarded-For")
        client = self.client_address[0]
        headers["X-Forwarded-For"] = f"{forwarded}, {client}" if forwarded else client
        headers["X-Forwarded-Proto"] = "http"
        headers["X-Forwarded-Port"] = str(self.server.server_port)
        headers["Host"] = host
        connection = http.client.HTTPConnection(target[0], target[1], timeout=60)
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except OSError as e:
            log.info("target %s:%s: %s", target[0], target[1], e)
            self._error(502, "Bad Gateway")
            return
        finally:
            connection.close()
        self.send_response(response.status, response.reason)
        for name_, value in response.getheaders():
            if name_.lower() not in HOP_BY_HOP and name_.lower() != "content-length":
                self.send_header(name_, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle  # noqa: N815


class Proxies:
    """The listeners' servers of one emulator (loopback only), started on first use, stopped by a reset."""

    def __init__(self, host: str, base_port: int) -> None:
        self.host, self.base_port = host, base_port
        self.servers: dict[int, ThreadingHTTPServer] = {}
        self._lock = threading.Lock()

    def ensure(self, port: int) -> None:
        with self._lock:
            if port in self.servers:
                return
            server = ThreadingHTTPServer((self.host, port), Handler)
            server.daemon_threads = True
            server.offset = port - self.base_port
            threading.Thread(target=server.serve_forever, daemon=True, name=f"lb-{port}").start()
            self.servers[port] = server
            log.info("load balancer listener on http://%s:%s", self.host, port)

    def stop_all(self) -> None:
        with self._lock:
            for server in self.servers.values():
                server.shutdown()
                server.server_close()
            self.servers.clear()
