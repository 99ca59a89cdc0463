#!/usr/bin/env bash
# Mutation testing (`make mutation`): mutmut changes plugins/module_utils/ and plugins/modules/ one small
# break at a time and runs the unit tests that reach the changed function; prints the score per file.
# Not part of `make test` (about 15 minutes on 2 cores). Everything it writes is under .mutation/.
#
# Why a staging copy: the tests import the collection as ansible_collections.django_ecs.fargate.plugins...,
# and mutmut 3 names each mutant after the file's path relative to where it runs. So mutmut runs in
# .mutation/stage/, which holds the tracked files (working-tree versions) under
# ansible_collections/django_ecs/fargate/ and no collections/ symlink: the mutated copies mutmut writes to
# .mutation/stage/mutants/ are the only django_ecs.fargate the tests can import (mutmut puts mutants/ first
# on sys.path and the collection loader finds ansible_collections/ there), and the mutant names match the
# modules the tests import (mutmut stops with "none match any mutant key" otherwise).
#
# Usage: scripts/mutation.sh [FILE...]   e.g. scripts/mutation.sh plugins/module_utils/ecs_rollout.py
#   default: every .py file in plugins/module_utils/ and plugins/modules/.
#   MUTATION_JOBS=N (default: CPU count)   MUTATION_KEEP=1 keeps the previous results (mutmut resumes).
# mutmut comes from requirements-dev.txt (pinned); when .venv lacks it, it is installed (pip --target)
# into .mutation/lib, leaving .venv untouched.
# Afterwards: cd .mutation/stage && PYTHONPATH=../lib ../../.venv/bin/python -m mutmut show <mutant name>
source "$(dirname "$0")/lib.sh"

PY="$ROOT/.venv/bin/python"
[[ -x "$PY" ]] || die ".venv missing: run 'make venv' first"
command -v git >/dev/null || die "git is required"
WORK="$ROOT/.mutation"
STAGE="$WORK/stage"
LIB="$WORK/lib"
PKG="ansible_collections/django_ecs/fargate"
VERSION="$(sed -n 's/^mutmut==//p' "$ROOT/requirements-dev.txt")"
[[ -n "$VERSION" ]] || die "mutmut is not pinned in requirements-dev.txt"

# mutmut: from .venv when it has the pinned version, else from .mutation/lib.
export PYTHONPATH=""
if [[ "$("$PY" -c 'import importlib.metadata as m; print(m.version("mutmut"))' 2>/dev/null)" != "$VERSION" ]]; then
  if [[ "$(PYTHONPATH="$LIB" "$PY" -c 'import importlib.metadata as m; print(m.version("mutmut"))' 2>/dev/null)" != "$VERSION" ]]; then
    log "installing mutmut==$VERSION into $LIB"
    rm -rf "$LIB"
    "$PY" -m pip install -q --disable-pip-version-check --target "$LIB" "mutmut==$VERSION"
  fi
  export PYTHONPATH="$LIB"
fi

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  mapfile -t targets < <(cd "$ROOT" && git ls-files 'plugins/module_utils/*.py' 'plugins/modules/*.py' | grep -v '/__init__\.py$')
fi
for t in "${targets[@]}"; do [[ -f "$ROOT/$t" ]] || die "no such file: $t"; done

# The staging copy: tracked files, working-tree versions, without the collections/ symlink loop, and
# without the role validation test (it checks the roles' YAML through ansible-playbook: no plugin mutant
# reaches it, and mutmut's copy of the tests has no roles/).
if [[ -z "${MUTATION_KEEP:-}" ]]; then rm -rf "$STAGE"; fi
mkdir -p "$STAGE/$PKG"
(cd "$ROOT" && git ls-files -z | grep -zv -e '^collections/' -e '^tests/unit/test_role_validation\.py$' | while IFS= read -r -d '' f; do
  [[ -e "$f" || -L "$f" ]] && printf '%s\0' "$f"
done | xargs -0 cp --parents -P -t "$STAGE/$PKG")

{
  echo "# Written by scripts/mutation.sh (paths relative to .mutation/stage/)."
  echo "[mutmut]"
  echo "source_paths ="
  for t in "${targets[@]}"; do echo "    $PKG/$t"; done
  echo "pytest_add_cli_args_test_selection = $PKG/tests/unit"
  echo "pytest_add_cli_args = -p no:cacheprovider"
  echo "also_copy ="  # the rest of the collection the tests import (mutmut mutates only source_paths)
  echo "    $PKG/plugins"
  echo "    $PKG/meta"
  echo "    $PKG/tests"
  echo "    $PKG/pytest.ini"
} > "$STAGE/setup.cfg"
# mutmut asks git what changed since its last run.
(cd "$STAGE" && { [[ -d .git ]] || git init -q; } && git add -A && \
  git -c user.name=mutation -c user.email=mutation@localhost commit -qm stage --allow-empty)

log "mutmut $VERSION over ${#targets[@]} files, tests: tests/unit"
SECONDS=0
cd "$STAGE" || die "no staging copy at $STAGE"
"$PY" -m mutmut run --max-children "${MUTATION_JOBS:-$(nproc)}" > "$WORK/run.log" 2>&1 || {
  tail -n 30 "$WORK/run.log" >&2
  die "mutmut failed (full output: .mutation/run.log)"
}
took=$SECONDS

# The score per file, from mutmut's results (mutants/<file>.meta): killed = the tests failed (or timed
# out) with the mutant; survived = they passed; no tests = no unit test reaches the function.
"$PY" - "$STAGE/mutants/$PKG" "$WORK/survivors.txt" "$took" <<'PY'
import json
import sys
from pathlib import Path

base, survivors_file, took = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
# mutmut's exit codes (mutmut/stats.py): 1/3 tests failed, 0 tests passed, 5/33 no tests, 36/24/-24/152/255
# timeout (counted as caught: the suite did not pass), anything else (segfault, suspicious...) is "other".
KILLED = {1, 3}
SURVIVED = {0}
NO_TESTS = {5, 33}
TIMEOUT = {24, 36, 152, 255, -24}
groups = {"module_utils": [0, 0], "modules": [0, 0]}
rows, lost = [], []
for meta in sorted(base.glob("plugins/**/*.py.meta")):
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    rel = meta.relative_to(base).as_posix()[: -len(".meta")]
    counts = {"killed": 0, "timeout": 0, "survived": 0, "no tests": 0, "other": 0}
    for name, code in sorted(codes.items()):
        if code in KILLED:
            counts["killed"] += 1
        elif code in TIMEOUT:
            counts["timeout"] += 1
        elif code in SURVIVED:
            counts["survived"] += 1
            lost.append(f"survived  {name}")
        elif code in NO_TESTS:
            counts["no tests"] += 1
            lost.append(f"no tests  {name}")
        elif code is None:
            counts["other"] += 1
            lost.append(f"not run   {name}")
        else:
            counts["other"] += 1
            lost.append(f"exit {code:<4} {name}")
    total = sum(counts.values())
    caught = counts["killed"] + counts["timeout"]
    rows.append((rel, total, caught, counts))
    group = groups["module_utils" if "/module_utils/" in rel else "modules"]
    group[0] += caught
    group[1] += total
print(f"{'file':<42} {'mutants':>7} {'killed':>7} {'timeout':>7} {'survived':>8} {'no tests':>8} {'score':>7}")
for rel, total, caught, c in rows:
    score = 100.0 * caught / total if total else 100.0
    print(
        f"{rel:<42} {total:>7} {c['killed']:>7} {c['timeout']:>7} {c['survived']:>8} {c['no tests']:>8} {score:>6.1f}%"
    )
for name, (caught, total) in groups.items():
    if total:
        print(f"{'total plugins/' + name + '/':<42} {total:>7} {caught:>7} {'':>7} {total - caught:>8} {'':>8} "
              f"{100.0 * caught / total:>6.1f}%")
survivors_file.write_text("\n".join(lost) + ("\n" if lost else ""))
print(f"{len(lost)} mutants not killed: .mutation/survivors.txt (mutmut show <name> in .mutation/stage/). "
      f"Took {took // 60} min {took % 60} s.")
PY
