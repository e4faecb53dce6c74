#!/usr/bin/env bash
# Makes the Python environment the cross-check tests use (numpy, safetensors, gguf: the
# reference readers), in build/venv. Prints the interpreter's path. When PyPI cannot be
# reached, the tests that need these packages are skipped (lit reports them unsupported).
set -uo pipefail
cd "$(dirname "$0")/.."
venv=${SLIMTUNE_BUILD_DIR:-build}/venv
requirements=scripts/test-requirements.txt
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >/dev/null 2>&1 || { echo "python_env: cannot create $venv" >&2; exit 1; }
fi
stamp=$venv/.requirements
if ! cmp -s "$requirements" "$stamp"; then
  if "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >"$venv/install.log" 2>&1; then
    cp "$requirements" "$stamp"
  else
    echo "python_env: could not install $requirements (see $venv/install.log); cross-check tests will be skipped" >&2
  fi
fi
echo "$venv/bin/python"
