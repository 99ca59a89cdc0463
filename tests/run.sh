#!/usr/bin/env bash
# Every test, in one go (`make test`, which CI runs). Starts the Docker engine when none runs (and stops
# what it started on exit, also after a failure), then runs the stages below side by side, at most
# $DJANGO_ECS_TEST_JOBS at a time (default 3; most of a stage's time is spent waiting on containers,
# rollouts and AWS-style polling, not on the CPU). Each stage has its own ports and PostgreSQL, logs to
# .run/test-logs/<stage>.log and is printed whole when it ends. The last line sums up the test counts.
#   DJANGO_ECS_TEST_STAGES="static pytest_local"   run only these stages
#   DJANGO_ECS_TEST_JOBS=1                         one stage after another
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"
export PATH="$BIN:$PATH"
LOGS="$ROOT/.run/test-logs"

# Each pytest stage owns folders of tests/; a folder in no stage fails the run (no test is left out).
LOCAL_DIRS=(tests/unit tests/django tests/image tests/emulator tests/release)
STACK_DIRS=(tests/integration)
# Integration modules that bring their own emulators (not the shared deployed stack): a stage of their own,
# so they run beside the stack's tests instead of after them.
APART_FILES=(
  tests/integration/test_alb_drift.py tests/integration/test_bad_input.py tests/integration/test_check_fresh.py
  tests/integration/test_collection_build.py
  tests/integration/test_domain_names.py tests/integration/test_ecs_run_task_moto.py
  tests/integration/test_egress_validation.py tests/integration/test_own_django_project.py
  tests/integration/test_role_options.py tests/integration/test_secret_restore_moto.py
)
ALL_STAGES=(pytest_stack molecule pytest_apart pytest_local static)   # longest first
read -r -a STAGES <<<"${DJANGO_ECS_TEST_STAGES:-${ALL_STAGES[*]}}"
JOBS="${DJANGO_ECS_TEST_JOBS:-3}"

started_docker=false
cleanup() {
  local rc=$?
  jobs -p | xargs -r kill 2>/dev/null || true
  if $started_docker; then DJANGO_ECS_KEEP_DOCKER='' bash scripts/docker-engine.sh stop || true; fi
  exit $rc
}
trap cleanup EXIT

check_groups() {
  local dir missing=()
  for dir in tests/*/; do
    dir="${dir%/}"
    compgen -G "$dir/test_*.py" >/dev/null || continue
    [[ " ${LOCAL_DIRS[*]} ${STACK_DIRS[*]} " == *" $dir "* ]] || missing+=("$dir")
  done
  if ((${#missing[@]})); then
    echo "tests/run.sh: test folders in no stage: ${missing[*]} (add them to LOCAL_DIRS or STACK_DIRS)" >&2
    return 1
  fi
  for dir in "${APART_FILES[@]}"; do
    [[ -f "$dir" ]] || { echo "tests/run.sh: APART_FILES lists a missing file: $dir" >&2; return 1; }
  done
}

stage_static() {
  ruff check . && ruff format --check . && ansible-lint -q && bash scripts/docs-lint.sh && SANITY_TESTS=all bash scripts/sanity.sh
}
PYTEST=(pytest -q -p no:cacheprovider --durations=15)
stage_pytest_local() {  # unit, Django on PostgreSQL, the image on Docker, the emulator's runtime
  DJANGO_ECS_PG_PORT=55432 DJANGO_ECS_TEST_MOTO_URL=http://127.0.0.1:5065 \
    "${PYTEST[@]}" "${LOCAL_DIRS[@]}"
}
stage_pytest_stack() {  # the stack deployed once on its own emulator, and what uses it
  local ignore=() f
  for f in "${APART_FILES[@]}"; do ignore+=("--ignore=$f"); done
  DJANGO_ECS_PG_PORT=55433 DJANGO_ECS_TEST_MOTO_URL=http://127.0.0.1:5066 \
    "${PYTEST[@]}" "${ignore[@]}" "${STACK_DIRS[@]}"
}
stage_pytest_apart() {  # bad inputs, builds, the own-project deploy, modules on moto: each on its own emulator
  DJANGO_ECS_PG_PORT=55434 DJANGO_ECS_TEST_MOTO_URL=http://127.0.0.1:5067 \
    "${PYTEST[@]}" "${APART_FILES[@]}"
}
stage_molecule() {  # deploy to a fresh emulator, idempotence, check mode, verify
  molecule test --all
}

run_stage() {  # run_stage NAME: its output to its log, its exit code and time as the log's last line
  local name="$1" start=$SECONDS rc=0
  "stage_$name" >"$LOGS/$name.log" 2>&1 || rc=$?
  printf '=== stage %s: exit %s after %ss\n' "$name" "$rc" "$((SECONDS - start))" >>"$LOGS/$name.log"
  return "$rc"
}

printf '=== Docker engine and base image\n'
if ! bash scripts/docker-engine.sh status >/dev/null 2>&1; then started_docker=true; fi
bash scripts/docker-engine.sh start
export DJANGO_ECS_KEEP_DOCKER=1   # this script owns the engine's lifetime
DJANGO_ECS_BASE_IMAGE="$(bash scripts/base-image.sh)"
export DJANGO_ECS_BASE_IMAGE
check_groups
rm -rf "$LOGS"; mkdir -p "$LOGS"

declare -A pid_of=() rc_of=()
pending=("${STAGES[@]}")
report() {  # report PID: print the finished stage's log, keep its exit code
  local name
  for name in "${!pid_of[@]}"; do
    [[ "${pid_of[$name]}" == "$1" ]] || continue
    wait "$1" && rc_of[$name]=0 || rc_of[$name]=$?
    unset "pid_of[$name]"
    printf '\n===== %s (exit %s) =====\n' "$name" "${rc_of[$name]}"
    cat "$LOGS/$name.log"
  done
}
SECONDS=0
while ((${#pending[@]})) || ((${#pid_of[@]})); do
  while ((${#pending[@]})) && ((${#pid_of[@]} < JOBS)); do
    name="${pending[0]}"; pending=("${pending[@]:1}")
    declare -F "stage_$name" >/dev/null || { echo "tests/run.sh: no stage '$name' (${ALL_STAGES[*]})" >&2; exit 2; }
    printf '=== stage %s started at %ss (log: %s)\n' "$name" "$SECONDS" "$LOGS/$name.log"
    run_stage "$name" &
    pid_of[$name]=$!
  done
  wait -n -p done_pid || true
  report "$done_pid"
done
printf '\n=== all stages took %ss\n' "$SECONDS"

failed=() passed=0 nfailed=0
for name in "${STAGES[@]}"; do
  ((rc_of[$name] == 0)) || failed+=("$name")
  # pytest's closing line, e.g. "2 failed, 120 passed, 1 error in 61.2s"
  read -r p f < <(grep -E '^=* *[0-9]+ [a-z]+.* in [0-9.]+s' "$LOGS/$name.log" | tail -1 |
    awk '{ for (i = 2; i <= NF; i++) { w = $i; gsub(/[^a-z]/, "", w); n = $(i - 1) + 0
           if (w == "passed") p += n; if (w == "failed" || w == "error" || w == "errors") f += n } }
         END { print p + 0, f + 0 }')
  passed=$((passed + ${p:-0})); nfailed=$((nfailed + ${f:-0}))
done
if ((${#failed[@]})); then
  printf 'FAILED stages: %s\n' "${failed[*]}"
fi
printf 'tests: %s passed, %s failed (pytest counts; molecule and static pass or fail as a stage)\n' "$passed" "$nfailed"
((${#failed[@]} == 0))
