#!/usr/bin/env bash
# antsibull-docs lint-collection-docs --plugin-docs: the plugins' and roles' documentation as the Ansible
# docsite renders it (schema, markup, references into amazon.aws/community.aws), plus the extra docs' links.
# antsibull-docs copies each collection it needs; one inside a git work tree is copied with `git ls-files`,
# so the dependency collections (installed in .venv, which lives inside this checkout) would arrive empty:
# they are copied to a temporary collections path outside the checkout first.
source "$(dirname "$0")/lib.sh"

BIN="$ROOT/.venv/bin"
[[ -x "$BIN/antsibull-docs" ]] || die "antsibull-docs not in .venv: run 'make venv' first"
INSTALLED="$("$BIN/python" -c 'import ansible, os; print(os.path.join(os.path.dirname(os.path.dirname(ansible.__file__)), "ansible_collections"))')"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/django-ecs-docs-lint.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/ansible_collections/amazon" "$WORK/ansible_collections/community"
cp -r "$INSTALLED/amazon/aws" "$WORK/ansible_collections/amazon/"
for dep in aws docker library_inventory_filtering_v1; do
  cp -r "$INSTALLED/community/$dep" "$WORK/ansible_collections/community/"
done

log "antsibull-docs lint-collection-docs --plugin-docs"
# Only those copies: with the venv's site-packages also scanned, which copy wins depends on the listing order.
out="$(cd "$WORK" && PATH="$BIN:$PATH" ANSIBLE_COLLECTIONS_PATH="$WORK" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false \
  "$BIN/antsibull-docs" lint-collection-docs --plugin-docs "$ROOT/collections/ansible_collections/django_ecs/fargate" 2>&1)" \
  || { printf '%s\n' "$out"; die "antsibull-docs exited non-zero"; }
# It exits 0 with findings printed (path:line:col: message): any output is a finding.
if [[ -n "$out" ]]; then printf '%s\n' "$out"; die "antsibull-docs found documentation errors"; fi
log "documentation lint clean"
