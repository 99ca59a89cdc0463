#!/usr/bin/env bash
# The local AWS emulator (moto server). Usage: moto.sh start|stop|status|reset.
# URL from $DJANGO_ECS_MOTO_URL (default http://127.0.0.1:5055). .run/moto-PORT.requests.log gets one
# JSON line per AWS API call (service, action): the tests count calls and check their order.
source "$(dirname "$0")/lib.sh"
URL="${DJANGO_ECS_MOTO_URL:-http://127.0.0.1:5055}"
hostport="${URL#*://}"; HOST="${hostport%%:*}"; PORT="${hostport##*:}"; PORT="${PORT%%/*}"
PIDFILE="$RUN_DIR/moto-$PORT.pid"
# moto_server's Python runs our wrapper (scripts/moto_server.py), which adds a per-call request log.
MOTO_BIN="${MOTO_SERVER:-$ROOT/.venv/bin/moto_server}"
[[ -x "$MOTO_BIN" ]] || MOTO_BIN="$(command -v moto_server || true)"
MOTO_PY="$(dirname "$MOTO_BIN")/python"
up() { python3 -c "import urllib.request; urllib.request.urlopen('$URL/moto-api/', timeout=5)"; }

case "${1:-start}" in
  start)
    up 2>/dev/null && exit 0
    [[ -x "$MOTO_BIN" ]] || die "moto_server not found: run 'make venv' (or pip install 'moto[server]')"
    : > "$RUN_DIR/moto-$PORT.requests.log"   # a fresh server starts a fresh request log
    # Managed policies (AmazonECSTaskExecutionRolePolicy) exist only with this switch.
    MOTO_IAM_LOAD_MANAGED_POLICIES=true nohup "$MOTO_PY" "$ROOT/scripts/moto_server.py" "$HOST" "$PORT" \
      "$RUN_DIR/moto-$PORT.requests.log" >"$RUN_DIR/moto-$PORT.log" 2>&1 &
    echo $! > "$PIDFILE"
    wait_for up || { tail -20 "$RUN_DIR/moto-$PORT.log" >&2; die "moto server did not start on $URL"; }
    log "started moto server on $URL (pid $(cat "$PIDFILE"))"
    ;;
  stop) stop_pid "$PIDFILE" "moto server" ;;
  reset) python3 -c "import urllib.request; urllib.request.urlopen(urllib.request.Request('$URL/moto-api/reset', method='POST'))" ;;
  status) up 2>/dev/null && echo "running on $URL" || { echo stopped; exit 1; } ;;
  *) die "usage: $0 start|stop|status|reset" ;;
esac
