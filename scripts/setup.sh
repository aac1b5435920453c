#!/usr/bin/env bash
# Set up gametime-cli in this checkout: the system packages it needs (Debian/Ubuntu),
# a virtualenv in .venv, and the package in it. `--test` adds the test dependencies.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
command -v python3 >/dev/null || missing+=(python3)
# Bookings drive a real Chromium; Playwright can't download its own here, Debian's works:
# the full browser (what a club's site must see), its headless shell for browser_mode
# lean, and Xvfb for a headed browser on a machine without a display.
if [ -z "${GAMETIME_BROWSER:-}" ]; then
    if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null \
            && ! command -v google-chrome >/dev/null; then
        missing+=(chromium)
    fi
    command -v chromium-headless-shell >/dev/null || missing+=(chromium-headless-shell)
fi
command -v Xvfb >/dev/null || missing+=(xvfb)
if [ -n "$extras" ]; then
    # The tests start a real Secret Service in a D-Bus session of their own.
    command -v gnome-keyring-daemon >/dev/null || missing+=(gnome-keyring)
    command -v dbus-run-session >/dev/null || missing+=(dbus)
    command -v pgrep >/dev/null || missing+=(procps)
    # A real cron daemon fires run-pending in one test.
    command -v crontab >/dev/null || missing+=(cron)
fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
echo "setup: ready; the command is $(pwd)/.venv/bin/gametime" >&2
