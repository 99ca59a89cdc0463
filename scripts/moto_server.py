"""moto's server with a request log: one JSON line per AWS API call (time, service, action).

moto's own log shows only `POST /` for most services. The tests read this log to count API calls,
find writes, and check the order of requests (e.g. that RDS creation starts before the image build).
Usage: python moto_server.py HOST PORT LOGFILE
"""

import io
import json
import re
import sys
import threading
import time
from urllib.parse import parse_qs

from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")


def _action(environ: dict, body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocols (ECS, Secrets Manager, Logs, ECR): "AmazonEC2ContainerServiceV20141113.RunTask"
        return target.rsplit(".", 1)[-1]
    params = parse_qs(environ.get("QUERY_STRING", ""))
    if not params.get("Action") and body and b"Action=" in body:
        params = parse_qs(body.decode("utf-8", "replace"))
    if params.get("Action"):  # query protocols (EC2, IAM, RDS, ELBv2)
        return params["Action"][0]
    return f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"  # REST protocols


class RequestLog:
    def __init__(self, app, path: str) -> None:
        self.app, self.lock = app, threading.Lock()
        self.file = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as the server

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = scope.group(1) if scope else "?"
        line = {"t": round(time.time(), 3), "service": service, "action": _action(environ, body)}
        with self.lock:
            self.file.write(json.dumps(line) + "\n")
        return self.app(environ, start_response)


def main() -> None:
    host, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, RequestLog(app, log), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
