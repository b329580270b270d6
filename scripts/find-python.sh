#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 (Django 6.1 needs it), or explains and fails.
check() { "$1" -c 'import sys; assert sys.version_info >= (3, 12); print(sys.executable)' 2>/dev/null; }
for candidate in python3.14 python3.13 python3.12 python3; do
    command -v "$candidate" >/dev/null && check "$candidate" && exit 0
done
# pyenv shims answer "command not found" for versions that are installed but not selected.
for candidate in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    [ -x "$candidate" ] && check "$candidate" && exit 0
done
echo "error: Optify needs Python 3.12 or newer (Django 6.1 requires it); none was found on PATH." >&2
echo "       Install one (e.g. apt-get install python3.12, or pyenv install 3.13) and retry." >&2
exit 1
