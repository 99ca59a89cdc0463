#!/usr/bin/env bash
# A local container registry standing in for ECR's data plane on the emulator default.
# Usage: registry.sh start|stop|status. Address from $DJANGO_ECS_REGISTRY (default 127.0.0.1:5057);
# loopback registries are trusted over plain HTTP by Docker, so no TLS set-up is needed.
source "$(dirname "$0")/lib.sh"
ADDR="${DJANGO_ECS_REGISTRY:-127.0.0.1:5057}"
PORT="${ADDR##*:}"
PIDFILE="$RUN_DIR/registry-$PORT.pid"
DATA="$RUN_DIR/registry-$PORT"
up() { python3 -c "import urllib.request; urllib.request.urlopen('http://$ADDR/v2/', timeout=2)"; }

case "${1:-start}" in
  start)
    up 2>/dev/null && exit 0
    bin="$(command -v docker-registry || true)"
    [[ -n "$bin" ]] || { apt_install docker-registry; bin="$(command -v docker-registry)"; }
    # Our own config: Debian's stock one points htpasswd auth at a directory and listens on :5000.
    mkdir -p "$DATA"
    cat > "$RUN_DIR/registry-$PORT.yml" <<CFG
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $DATA}
  delete: {enabled: true}
http: {addr: $ADDR}
CFG
    setsid nohup "$bin" serve "$RUN_DIR/registry-$PORT.yml" >"$RUN_DIR/registry-$PORT.log" 2>&1 &
    echo $! > "$PIDFILE"
    wait_for up || { tail -20 "$RUN_DIR/registry-$PORT.log" >&2; die "registry did not start on $ADDR"; }
    log "started registry on $ADDR (pid $(cat "$PIDFILE"))"
    ;;
  stop) stop_pid "$PIDFILE" registry ;;
  status) if up 2>/dev/null; then echo "running on $ADDR"; else echo stopped; exit 1; fi ;;
  *) die "usage: $0 start|stop|status" ;;
esac
