#!/usr/bin/env bash
# Debian's Chromium and its WebDriver for the browser test (tests/integration/test_browser.py): installs
# `chromium` and `chromium-driver` when missing (as root with apt-get; otherwise it fails naming them), then
# prints the two paths, browser first.
source "$(dirname "$0")/lib.sh"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt_install chromium chromium-driver
fi
printf '%s\n%s\n' "$(command -v chromium)" "$(command -v chromedriver)"
