# shellcheck shell=bash
# Shared helpers for the scripts in this folder. Sourced, not run.
# State (PID files, logs, data folders) lives in .run/ at the repository root.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${DJANGO_ECS_RUN_DIR:-$ROOT/.run}"
mkdir -p "$RUN_DIR"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# pid_alive FILE: true when FILE holds the PID of a live process.
pid_alive() { [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid FILE NAME: stop the process whose PID is in FILE (TERM, then KILL), remove FILE.
stop_pid() {
  local file="$1" name="$2" pid
  if ! pid_alive "$file"; then rm -f "$file"; return 0; fi
  pid="$(cat "$file")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$file"
  log "stopped $name (pid $pid)"
}

# wait_for CMD...: retry CMD for up to 30 s.
wait_for() {
  for _ in $(seq 1 150); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

# apt_install PKG...: install Debian packages when running as root; otherwise say what is missing.
apt_install() {
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    die "missing: $* — install them (Debian/Ubuntu: apt-get install $*) and run again"
  fi
  log "installing Debian packages: $*"
  if [[ ! -f "$RUN_DIR/.apt-updated" ]]; then apt-get update -qq && touch "$RUN_DIR/.apt-updated"; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
