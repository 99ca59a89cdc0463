#!/usr/bin/env bash
# ansible-test sanity on a throw-away copy of the collection (ansible-test needs the files under
# .../ansible_collections/django_ecs/fargate/ and resolves symlinks, so the checkout itself won't do).
# Usage: scripts/sanity.sh [ansible-test sanity options...] [TARGET...]
#   default: every sanity test (SANITY_TESTS=all), Python 3.12, all files.
#   e.g.  scripts/sanity.sh plugins/modules/ecs_run_task.py plugins/module_utils/
#         SANITY_TESTS="validate-modules" scripts/sanity.sh
#         SANITY_TESTS=all scripts/sanity.sh     (every sanity test ansible-test has)
# Exits non-zero on any finding. There is no tests/sanity/ignore-*.txt: nothing is ignored.
source "$(dirname "$0")/lib.sh"

PY="${SANITY_PYTHON:-3.12}"
TESTS="${SANITY_TESTS:-all}"
ANSIBLE_TEST="$ROOT/.venv/bin/ansible-test"
[[ -x "$ANSIBLE_TEST" ]] || die "ansible-test not in .venv: run 'make venv' first"
command -v git >/dev/null || die "git is required"
# The shellcheck sanity test skips itself (a warning, exit 0) when the program is missing.
if [[ "$TESTS" == all || " $TESTS " == *" shellcheck "* ]]; then command -v shellcheck >/dev/null || apt_install shellcheck; fi

# The installed collections (amazon.aws, community.aws) come with the ansible package in the venv.
INSTALLED="$("$ROOT/.venv/bin/python" -c 'import ansible, os; print(os.path.join(os.path.dirname(os.path.dirname(ansible.__file__)), "ansible_collections"))')"
[[ -d "$INSTALLED/amazon/aws" ]] || die "amazon.aws not found under $INSTALLED"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/django-ecs-sanity.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
DEST="$WORK/ansible_collections/django_ecs/fargate"
mkdir -p "$DEST"

# Tracked files only (the working-tree version), without the collections/ symlink loop.
# The emulator and its tests are not part of the collection (build_ignore): ruff checks them, not ansible-test.
(cd "$ROOT" && git ls-files -z | grep -zvE '^(collections|emulator|tests/emulator)/' | while IFS= read -r -d '' f; do
  [[ -e "$f" || -L "$f" ]] && printf '%s\0' "$f"
done | xargs -0 cp --parents -P -t "$DEST")
ln -s "$INSTALLED/amazon" "$WORK/ansible_collections/amazon"
ln -s "$INSTALLED/community" "$WORK/ansible_collections/community"
rm -f "$DEST"/tests/sanity/ignore-*.txt

# ansible-test lists the collection's files through git.
(cd "$DEST" && git init -q && git add -A && git -c user.name=sanity -c user.email=sanity@localhost commit -qm sanity)

# Sanity tests with requirements build virtualenvs with get-pip.py from ci-files.testing.ansible.com;
# where that host is out of reach, a stand-in that uses ensurepip + pip (only PyPI needed) does the job.
CACHE="$HOME/.ansible/test/cache"
if [[ -z "${SANITY_NO_GET_PIP_STANDIN:-}" ]] && ! "$ROOT/.venv/bin/python" -c \
    "import urllib.request; urllib.request.urlopen('https://ci-files.testing.ansible.com', timeout=5)" 2>/dev/null; then
  mkdir -p "$CACHE"
  for version in $(grep -rhoE "get-pip-[0-9.]+\.py|pip_version = '[0-9.]+'" \
      "$(dirname "$ANSIBLE_TEST")/../lib/python3"*/site-packages/ansible_test/_util/target/setup/ 2>/dev/null \
      | grep -oE "[0-9]+\.[0-9]+(\.[0-9]+)?" | sort -u) 25.2; do
    standin="$CACHE/get_pip_${version//./_}.py"
    [[ -s "$standin" ]] && continue
    log "ci-files.testing.ansible.com unreachable: writing a get-pip stand-in at $standin"
    cat > "$standin" <<'PY'
"""Stand-in for get-pip.py (no access to ci-files.testing.ansible.com): ensurepip, then pip install the args."""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip"])
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
PY
  done
fi

args=()
if [[ "$TESTS" != all ]]; then for t in $TESTS; do args+=(--test "$t"); done; fi
log "ansible-test sanity (${TESTS}) on Python $PY in $DEST"
cd "$DEST" || die "no copy at $DEST"
"$ANSIBLE_TEST" sanity --color no --venv --requirements --python "$PY" "${args[@]}" "$@"
