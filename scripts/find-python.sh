#!/usr/bin/env bash
# Print the path of a Python >= 3.12 (ansible-core 2.21 needs it), or fail saying so.
source "$(dirname "$0")/lib.sh"
ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }
candidates=("${PYTHON:-}" python3.13 python3.12 python3)
if command -v pyenv >/dev/null; then
  for v in 3.13 3.12; do candidates+=("$(pyenv which "python$v" 2>/dev/null || true)"); done
  for d in "$(pyenv root)"/versions/3.1[2-9]*; do [[ -x "$d/bin/python3" ]] && candidates+=("$d/bin/python3"); done
fi
for c in "${candidates[@]}"; do
  [[ -n "$c" ]] || continue
  p="$(command -v "$c" 2>/dev/null || true)"
  if [[ -n "$p" ]] && ok "$p"; then echo "$p"; exit 0; fi
done
die "no Python >= 3.12 found (ansible-core 2.21 needs it). Install one (e.g. 'pyenv install 3.12' or your distribution's python3.12) or set PYTHON=/path/to/python3.12"
