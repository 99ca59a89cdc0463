"""Health endpoints answered by the first middleware, before host validation and SSL redirect.

The ALB health checker sends the task's private IP as the Host header (e.g. `10.0.3.17:8000`),
which is not (and should not be) in ALLOWED_HOSTS. Answering here, before anything calls
`request.get_host()`, keeps ALLOWED_HOSTS strict instead of `["*"]`.

- `/health/` is liveness only: it does NOT touch the database. If it did, a short database blip
  (failover, maintenance, too many connections) would make the ALB mark every task unhealthy at
  once and ECS would replace them all, turning a brief DB hiccup into a full outage and a
  restart storm. A task that answers HTTP can still serve cached/static content and recover
  by itself when the database is back.
- `/health/db/` is a readiness probe for people and deploy smoke tests: it runs `SELECT 1` and
  answers 503 when the database is unreachable. Do not point the ALB at it.
"""

import logging

from django.db import connection
from django.http import HttpResponse

logger = logging.getLogger(__name__)

LIVENESS_PATH = "/health/"
DATABASE_PATH = "/health/db/"


def _plain(body: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return response


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means "not ready"; the reason goes to the log
        logger.warning("database health check failed", exc_info=True)
        return False


class HealthCheckMiddleware:
    """Must be the first entry of MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            if request.path == LIVENESS_PATH:
                return _plain("ok\n")
            if request.path == DATABASE_PATH:
                return _plain("ok\n") if _database_ok() else _plain("database unavailable\n", status=503)
        return self.get_response(request)
