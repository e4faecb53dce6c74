#!/usr/bin/env bash
# Fetches a small English text corpus from Debian (the `fortunes` package: quotations on
# people, wisdom and science, UTF-8, one quotation per "%"-separated record) with
# apt-get download and dpkg-deb -x (nothing is installed), joins the chosen files into one
# text file in the cache folder, and prints its path. Exit status 1 when it cannot be fetched.
#   cache: $SLIMTUNE_CACHE (default ~/.cache/slimtune)
set -euo pipefail
cache=${SLIMTUNE_CACHE:-$HOME/.cache/slimtune}
target=$cache/fortunes-corpus.txt
files=(people wisdom science)

if [ -s "$target" ]; then
  echo "$target"
  exit 0
fi
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download writes into the current folder; _apt cannot write to a private mktemp one.
chmod 755 "$tmp"
if ! (cd "$tmp" && apt-get download fortunes >"$tmp/log" 2>&1); then
  echo "slimtune: error: could not download the Debian package fortunes: $(tail -n 1 "$tmp/log")" >&2
  exit 1
fi
dpkg-deb -x "$tmp"/fortunes_*.deb "$tmp/root"
source_dir=$tmp/root/usr/share/games/fortunes
for f in "${files[@]}"; do
  if [ ! -f "$source_dir/$f.u8" ]; then
    echo "slimtune: error: the fortunes package has no $f.u8" >&2
    exit 1
  fi
  cat "$source_dir/$f.u8"
  # Not every file ends its last record with "%": one more keeps the files' records apart.
  [ "$(tail -n 1 "$source_dir/$f.u8")" = "%" ] || echo "%"
done >"$tmp/corpus.txt"
mv "$tmp/corpus.txt" "$target"
echo "$target"
