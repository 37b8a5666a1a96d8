#!/usr/bin/env bash
# Install the pinned uv into .tools/ (git-ignored) from PyPI, however this machine's Python
# is set up: a venv where it can make one, else pip --target (Debian marks its Python as
# externally managed, which refuses --user installs).
set -euo pipefail
version=$1
root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=$root/.tools
if python3 -m venv "$tools" >/dev/null 2>&1 && "$tools/bin/python" -m pip --version >/dev/null 2>&1; then
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$version"
else
  rm -rf "$tools"
  python3 -m pip install --quiet --disable-pip-version-check --target "$tools/lib" "uv==$version" \
    || python3 -m pip install --quiet --break-system-packages --target "$tools/lib" "uv==$version"
  mkdir -p "$tools/bin"
  ln -sf "$tools/lib/bin/uv" "$tools/bin/uv"
fi
"$tools/bin/uv" --version
