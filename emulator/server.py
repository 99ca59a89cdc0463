"""moto's server with a request log and (unless DJANGO_ECS_LOCAL_RUNTIME=off) the local runtime.

Usage: python -m emulator.server HOST PORT REQUEST_LOG

- Request log: one JSON line per AWS API call (time, service, action). moto's own log shows only
  `POST /`; the tests read this one to count calls, find writes and check the order of requests.
- Runtime: ECS tasks run as containers on the local Docker engine and RDS instances as real
  PostgreSQL servers (emulator/ecs.py, emulator/rds.py). `GET /_local_runtime/status` says what runs.
- Every container, network and database the runtime started is removed on a moto reset and when the
  server stops (SIGTERM/SIGINT); `python -m emulator.cleanup PORT` removes leftovers after a SIGKILL.
"""

from __future__ import annotations

import io
import json
import logging
import re
import signal
import sys
import threading
import time
from urllib.parse import parse_qs

from emulator import aws_shapes
from emulator import config as config_module
from emulator.state import LOCK

_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")
STATUS_PATH = "/_local_runtime/status"


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


class App:
    """WSGI wrapper: request log, the runtime's lock around every request, the status endpoint."""

    def __init__(self, app, path: str, status) -> None:
        self.app, self.status = app, status
        self.file_lock = threading.Lock()
        self.file = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as the server

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == STATUS_PATH:
            body = json.dumps(self.status(), indent=2, default=str).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if not path.startswith("/moto-api"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
            service = scope.group(1) if scope else "?"
            line = {"t": round(time.time(), 3), "service": service, "action": _action(environ, body)}
            with self.file_lock:
                self.file.write(json.dumps(line) + "\n")
        with LOCK:
            return list(self.app(environ, start_response))


def install_runtime(cfg):
    """Swap moto's ECS and RDS backend classes for the runtime's (before any backend is created)."""
    from moto.ecs.models import ecs_backends
    from moto.elbv2.models import elbv2_backends
    from moto.rds.models import rds_backends

    from emulator import state
    from emulator.docker_engine import Engine
    from emulator.ecs import RuntimeECSBackend
    from emulator.elbv2 import RuntimeELBv2Backend, proxy_port
    from emulator.proxy import Proxies
    from emulator.rds import RuntimeRDSBackend

    engine = Engine(cfg)
    engine.cleanup()  # what an emulator on this port left behind (killed, or a crash)
    rt = state.Runtime(cfg, engine)
    rt.proxies = Proxies(cfg.host, proxy_port(cfg.port, 80))
    state.install(rt)
    ecs_backends.backend = RuntimeECSBackend
    elbv2_backends.backend = RuntimeELBv2Backend
    rds_backends.backend = RuntimeRDSBackend
    engine.network()
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    # EventBridge Scheduler: due schedules with an ECS target run their task (emulator/schedules.py).
    from moto.scheduler.models import scheduler_backends

    from emulator.schedules import Firer

    firer = Firer(scheduler_backends, ecs_backends).start()

    def shutdown() -> None:
        firer.stop.set()
        for backends in (ecs_backends, elbv2_backends, rds_backends):
            for account in list(backends.values()):
                for backend in list(account.values()):
                    if hasattr(backend, "stop_all"):
                        backend.stop_all()
        rt.proxies.stop_all()
        engine.cleanup()

    def status() -> dict:
        tasks = []
        for account in list(ecs_backends.values()):
            for backend in list(account.values()):
                for arn, run in getattr(backend, "runs", {}).items():
                    codes = {c.name: getattr(c, "exit_code", None) for c in run.task.containers}
                    tasks.append(
                        {"task_arn": arn, "last_status": run.task.last_status, "ip": run.ip, "exit_codes": codes}
                    )
        return {
            "runtime": True,
            "network": cfg.network_name,
            "subnet": cfg.subnet,
            "gateway": engine.gateway,
            "databases": [db.as_dict() for db in list(rt.databases.values())],
            "tasks": tasks,
            "load_balancer_ports": sorted(rt.proxies.servers),
        }

    return shutdown, status


def main() -> None:
    host, port, request_log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    cfg = config_module.load(host, port)
    aws_shapes.apply()
    shutdown, status = (lambda: None), (lambda: {"runtime": False})
    if cfg.runtime:
        shutdown, status = install_runtime(cfg)

    from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    app = App(DomainDispatcherApplication(create_backend_app), request_log, status)
    servers = [make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)]
    if cfg.runtime:
        # Tasks reach the emulator at the host's address on their network (never on every interface).
        from emulator.state import runtime

        servers.append(
            make_server(runtime().engine.gateway, port, app, threaded=True, request_handler=MotoRequestHandler)
        )

    def stop(signum, _frame) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for extra in servers[1:]:
        threading.Thread(target=extra.serve_forever, daemon=True).start()
    try:
        servers[0].serve_forever()
    finally:
        shutdown()


if __name__ == "__main__":
    main()
