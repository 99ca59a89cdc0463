#!/usr/bin/env bash
# Print the name of a Python base image for django/Dockerfile's BASE_IMAGE, making one when needed.
# Order: $DJANGO_ECS_BASE_IMAGE if set; python:3.12-slim if present or pullable; else a Debian 12
# image built locally with mmdebstrap (no registry needed), tagged django-ecs/python-base:bookworm.
source "$(dirname "$0")/lib.sh"
docker_cli() { if [[ -x /usr/bin/docker ]]; then /usr/bin/docker "$@"; else docker "$@"; fi; }
LOCAL="django-ecs/python-base:bookworm"

if [[ -n "${DJANGO_ECS_BASE_IMAGE:-}" ]]; then echo "$DJANGO_ECS_BASE_IMAGE"; exit 0; fi
for img in python:3.12-slim "$LOCAL"; do
  if docker_cli image inspect "$img" >/dev/null 2>&1; then echo "$img"; exit 0; fi
done
if timeout 20 docker_cli pull -q python:3.12-slim >/dev/null 2>&1; then echo python:3.12-slim; exit 0; fi

log "python:3.12-slim cannot be pulled: building a Debian 12 base image locally (~1 min)"
command -v mmdebstrap >/dev/null || apt_install mmdebstrap
mirror="${DJANGO_ECS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Behind a TLS-intercepting proxy pip in the image needs the host's extra CAs; empty elsewhere.
extra_ca=()
for crt in /usr/local/share/ca-certificates/*.crt; do [[ -f "$crt" ]] && extra_ca+=("$crt"); done
hook=()
if ((${#extra_ca[@]})); then
  # shellcheck disable=SC2016 # "$1" is mmdebstrap's chroot path, expanded by the hook's shell, not here
  hook=(--customize-hook='mkdir -p "$1/usr/local/share/ca-certificates"'
        --customize-hook="cp ${extra_ca[*]} \"\$1/usr/local/share/ca-certificates/\""
        --customize-hook='chroot "$1" update-ca-certificates >/dev/null')
fi
# shellcheck disable=SC2016 # "$1" is the hook's chroot path (see above)
mmdebstrap --quiet --variant=apt --include=python3,python3-venv,ca-certificates,tzdata \
  "${hook[@]}" --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  bookworm - "$mirror" \
  | docker_cli import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' - "$LOCAL" >/dev/null
echo "$LOCAL"
