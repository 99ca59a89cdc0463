#!/usr/bin/env bash
# The local AWS emulator (moto server + the local runtime, emulator/). Usage: moto.sh start|stop|status|reset.
# URL from $DJANGO_ECS_MOTO_URL (default http://127.0.0.1:5055). .run/moto-PORT.requests.log gets one
# JSON line per AWS API call (service, action): the tests count calls and check their order.
# DJANGO_ECS_LOCAL_RUNTIME=off starts plain moto: it records calls and runs no container or database.
source "$(dirname "$0")/lib.sh"
URL="${DJANGO_ECS_MOTO_URL:-http://127.0.0.1:5055}"
hostport="${URL#*://}"; HOST="${hostport%%:*}"; PORT="${hostport##*:}"; PORT="${PORT%%/*}"
PIDFILE="$RUN_DIR/moto-$PORT.pid"
# moto_server's Python runs our server (emulator/server.py): moto + request log + the runtime.
MOTO_BIN="${MOTO_SERVER:-$ROOT/.venv/bin/moto_server}"
[[ -x "$MOTO_BIN" ]] || MOTO_BIN="$(command -v moto_server || true)"
MOTO_PY="$(dirname "$MOTO_BIN")/python"
up() { python3 -c "import urllib.request; urllib.request.urlopen('$URL/moto-api/', timeout=5)"; }

case "${1:-start}" in
  start)
    up 2>/dev/null && exit 0
    [[ -x "$MOTO_BIN" ]] || die "moto_server not found: run 'make venv' (or pip install 'moto[server]')"
    : > "$RUN_DIR/moto-$PORT.requests.log"   # a fresh server starts a fresh request log
    runtime="${DJANGO_ECS_LOCAL_RUNTIME:-on}"
    if [[ "$runtime" != off ]]; then
      bash "$ROOT/scripts/docker-engine.sh" start   # tasks run there
      # RDS instances run as real PostgreSQL servers: the server binaries must be on this machine.
      if ! command -v postgres >/dev/null && ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
        apt_install postgresql
      fi
    fi
    # Managed policies (AmazonECSTaskExecutionRolePolicy) exist only with this switch.
    MOTO_IAM_LOAD_MANAGED_POLICIES=true DJANGO_ECS_LOCAL_RUNTIME="$runtime" PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
      setsid nohup "$MOTO_PY" -m emulator.server "$HOST" "$PORT" \
      "$RUN_DIR/moto-$PORT.requests.log" >"$RUN_DIR/moto-$PORT.log" 2>&1 &
    echo $! > "$PIDFILE"
    wait_for up || { tail -20 "$RUN_DIR/moto-$PORT.log" >&2; die "moto server did not start on $URL"; }
    log "started moto server on $URL (pid $(cat "$PIDFILE"), local runtime $runtime)"
    ;;
  stop)
    stop_pid "$PIDFILE" "moto server"
    # The server removes its containers and databases on SIGTERM; this catches what a SIGKILL left.
    PYTHONPATH="$ROOT" "$MOTO_PY" -m emulator.cleanup "$PORT" || true
    ;;
  reset) python3 -c "import urllib.request; urllib.request.urlopen(urllib.request.Request('$URL/moto-api/reset', method='POST'))" ;;
  status) if up 2>/dev/null; then echo "running on $URL"; else echo stopped; exit 1; fi ;;
  *) die "usage: $0 start|stop|status|reset" ;;
esac
