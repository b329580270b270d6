#!/usr/bin/env bash
# `make run` / `make test`: compiles the translations (locale/*/LC_MESSAGES/django.po -> .mo).
# The compiled .mo files are committed too, so that a machine without GNU gettext (and with no
# network to install it) still serves every language; with gettext at hand they are rebuilt
# from the .po here, so that a translation edited is a translation served.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v msgfmt >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing Debian's gettext for the translations..."
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; } \
            || echo "warning: could not install gettext; using the committed .mo files." >&2
    fi
fi
if ! command -v msgfmt >/dev/null; then
    echo "note: msgfmt (GNU gettext) is missing; serving the committed .mo files." >&2
    exit 0
fi
for po in locale/*/LC_MESSAGES/django.po; do
    msgfmt --check-format -o "${po%.po}.mo" "$po"
done
