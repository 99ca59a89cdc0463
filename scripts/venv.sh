#!/usr/bin/env bash
# Create .venv/ with a Python >= 3.12 and install the pinned requirements (again only when they change).
source "$(dirname "$0")/lib.sh"
VENV="$ROOT/.venv"
REQS=("$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" "$ROOT/django/requirements.txt")
stamp="$VENV/.requirements.sha256"
want="$(cat "${REQS[@]}" | sha256sum | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" ]] && [[ "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then exit 0; fi
if [[ ! -x "$VENV/bin/python" ]]; then
  py="$("$ROOT/scripts/find-python.sh")"
  log "creating .venv with $py ($("$py" --version))"
  "$py" -m venv "$VENV"
fi
log "installing requirements into .venv (first time ~1-2 min)"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements-dev.txt"
echo "$want" > "$stamp"
