#!/usr/bin/env bash
# Every test, in one go (`make test`). Starts the Docker engine when none runs and stops what it
# started on exit, also after a failure; pytest fixtures and molecule start/stop PostgreSQL and moto.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"
export PATH="$BIN:$PATH"

started_docker=false
cleanup() {
  local rc=$?
  if $started_docker; then DJANGO_ECS_KEEP_DOCKER= bash scripts/docker-engine.sh stop || true; fi
  exit $rc
}
trap cleanup EXIT

step() { printf '\n=== %s\n' "$*"; SECONDS=0; }
took() { printf '=== %s took %ss\n' "$1" "$SECONDS"; }

step "Docker engine and base image"
if ! bash scripts/docker-engine.sh status >/dev/null 2>&1; then started_docker=true; fi
bash scripts/docker-engine.sh start
export DJANGO_ECS_KEEP_DOCKER=1   # this script owns the engine's lifetime
DJANGO_ECS_BASE_IMAGE="$(bash scripts/base-image.sh)"
export DJANGO_ECS_BASE_IMAGE
took "docker"

step "Lint: ruff and ansible-lint (production profile)"
ruff check .
ruff format --check .
ansible-lint -q
took "lint"

step "pytest: unit, Django on PostgreSQL, the image on Docker, the module on moto"
pytest -q -p no:cacheprovider
took "pytest"

if [[ -f scripts/sanity.sh ]]; then
  step "ansible-test sanity"
  bash scripts/sanity.sh
  took "sanity"
fi

step "molecule: deploy to a fresh emulator, idempotence, check mode, verify"
(cd "$ROOT" && molecule test --all)
took "molecule"
