#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: its own data folder (.run/pg-PORT) and port.
# Usage: postgres.sh start|stop|status. Port from $DJANGO_ECS_PG_PORT (default 55432).
# Superuser "postgres" with password "postgres", listening on 127.0.0.1 only.
source "$(dirname "$0")/lib.sh"
PORT="${DJANGO_ECS_PG_PORT:-55432}"
# The data folder must be reachable by the postgres user: a checkout under a private folder (mktemp -d,
# mode 700) is not, so as root it lives under /var/tmp.
if [[ "$(id -u)" == 0 ]]; then DATA="${DJANGO_ECS_PG_DATA:-/var/tmp/django-ecs-pg-$PORT}"; else DATA="$RUN_DIR/pg-$PORT"; fi
PIDFILE="$RUN_DIR/postgres-$PORT.pid"

pg_bin() {  # find a PostgreSQL server binary, installing Debian's package when none exists
  local b
  for b in "$(command -v "$1" 2>/dev/null)" /usr/lib/postgresql/*/bin/"$1"; do
    [[ -x "$b" ]] && { echo "$b"; return; }
  done
  apt_install postgresql >&2
  for b in /usr/lib/postgresql/*/bin/"$1"; do [[ -x "$b" ]] && echo "$b"; done | sort -V | tail -1
}
up() { pg_isready -q -h 127.0.0.1 -p "$PORT" 2>/dev/null || "$(pg_bin pg_isready)" -q -h 127.0.0.1 -p "$PORT"; }

case "${1:-start}" in
  start)
    pid_alive "$PIDFILE" && up && exit 0
    # initdb refuses root: the cluster belongs to the postgres user (created when missing).
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
    initdb="$(pg_bin initdb)"; postgres="$(pg_bin postgres)"
    as_pg=(); [[ "$(id -u)" == 0 ]] && as_pg=(runuser -u postgres --)
    if [[ ! -s "$DATA/PG_VERSION" ]]; then
      mkdir -p "$DATA"; chown postgres "$DATA" 2>/dev/null || true; chmod 700 "$DATA"
      pwfile="$(mktemp)"; echo postgres > "$pwfile"; chown postgres "$pwfile" 2>/dev/null || true
      "${as_pg[@]}" "$initdb" -D "$DATA" -U postgres --pwfile="$pwfile" -A scram-sha-256 -E UTF8 >/dev/null
      rm -f "$pwfile"
    fi
    "${as_pg[@]}" "$postgres" -D "$DATA" -p "$PORT" -h 127.0.0.1 -k "$DATA" -c fsync=off \
      -c synchronous_commit=off -c full_page_writes=off >"$RUN_DIR/postgres-$PORT.log" 2>&1 &
    echo $! > "$PIDFILE"
    wait_for up || { tail -20 "$RUN_DIR/postgres-$PORT.log" >&2; die "PostgreSQL did not start on port $PORT"; }
    log "started PostgreSQL on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"
    ;;
  stop) stop_pid "$PIDFILE" PostgreSQL ;;
  status) if up; then echo "running on $PORT"; else echo stopped; exit 1; fi ;;
  *) die "usage: $0 start|stop|status" ;;
esac
