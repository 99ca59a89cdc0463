#!/usr/bin/env bash
# Make a Docker engine available: use the running one, else start dockerd (installing Debian's
# docker.io when root and missing). `stop` stops only a dockerd this script started (by PID file).
# Usage: docker-engine.sh start|stop|status. Prints nothing on success; export DOCKER_HOST yourself
# if you moved the socket (default unix:///var/run/docker.sock).
source "$(dirname "$0")/lib.sh"
PIDFILE="$RUN_DIR/dockerd.pid"
SOCK="${DJANGO_ECS_DOCKER_SOCK:-/var/run/docker.sock}"
DATA="${DJANGO_ECS_DOCKER_DATA:-/var/lib/django-ecs/docker}"   # outside the checkout: keeps the layer cache between runs
# The engine's runtime state (each container's config, environment included, as ECS injects secrets)
# is the engine's, like /var/run/docker: outside the checkout, where nothing of ours writes or packs.
EXEC="${DJANGO_ECS_DOCKER_EXEC:-/var/run/django-ecs/docker}"

docker_cli() {  # the daemon's own client when we have it (API version matches), else whatever is on PATH
  if [[ -x /usr/bin/docker ]]; then /usr/bin/docker -H "unix://$SOCK" "$@"; else docker -H "unix://$SOCK" "$@"; fi
}
engine_up() { docker_cli info >/dev/null 2>&1; }

case "${1:-start}" in
  start)
    engine_up && exit 0
    command -v dockerd >/dev/null || apt_install docker.io
    [[ "$(id -u)" == 0 ]] || die "no Docker engine is running and starting one needs root"
    mkdir -p "$DATA" "$EXEC"
    # No bridge/iptables: this kind of machine has neither; builds and containers use --network host.
    dockerd --data-root "$DATA" --exec-root "$EXEC" --pidfile "$RUN_DIR/dockerd.daemon.pid" \
      -H "unix://$SOCK" --iptables=false --bridge=none --storage-driver=overlay2 \
      >"$RUN_DIR/dockerd.log" 2>&1 &
    echo $! > "$PIDFILE"
    wait_for engine_up || { tail -20 "$RUN_DIR/dockerd.log" >&2; die "dockerd did not come up (log: $RUN_DIR/dockerd.log)"; }
    log "started dockerd (pid $(cat "$PIDFILE"), socket $SOCK)"
    ;;
  stop)
    # A caller that owns the engine's lifetime (tests/run.sh) keeps it through nested `make down`s.
    if [[ -n "${DJANGO_ECS_KEEP_DOCKER:-}" ]]; then exit 0; fi
    stop_pid "$PIDFILE" dockerd
    ;;
  status) if engine_up; then echo running; else echo stopped; exit 1; fi ;;
  *) die "usage: $0 start|stop|status" ;;
esac
