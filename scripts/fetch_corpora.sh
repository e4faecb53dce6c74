#!/usr/bin/env bash
# The text corpora of the fidelity protocol (bench/fidelity.py), each from a Debian package's
# documentation, fetched with apt-get download and dpkg-deb -x (nothing is installed) into the
# cache folder, one document per "%"-separated record. Prints "NAME PATH" per corpus asked for
# (default: all). Exit status 1 when one cannot be fetched.
#   fortunes       quotations on people, wisdom and science (scripts/fetch_corpus.sh), 345 KB
#   debian-faq     the Debian FAQ in plain text (debian-faq), paragraphs, about 180 KB
#   gnu-standards  the GNU Coding Standards and maintainers' guide (gnu-standards, Info
#                  files), Info nodes, about 420 KB
#   cache: $SLIMTUNE_CACHE (default ~/.cache/slimtune)
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${SLIMTUNE_CACHE:-$HOME/.cache/slimtune}
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(fortunes debian-faq gnu-standards)

# PACKAGE -> an unpacked copy in $tmp/root.
unpack() {
  (cd "$tmp" && apt-get download "$1" >"$tmp/log" 2>&1) || {
    echo "slimtune: error: could not download the Debian package $1: $(tail -n 1 "$tmp/log")" >&2
    exit 1
  }
  dpkg-deb -x "$tmp"/"$1"_*.deb "$tmp/root"
}

for name in "${names[@]}"; do
  target=$cache/corpus-$name.txt
  if [ "$name" = fortunes ]; then
    echo "fortunes $(scripts/fetch_corpus.sh)"
    continue
  fi
  if [ ! -s "$target" ]; then
    mkdir -p "$cache"
    tmp=$(mktemp -d)
    chmod 755 "$tmp" # apt-get download runs as _apt, which must write there
    case $name in
      debian-faq)
        unpack debian-faq
        # Paragraphs (runs of blank lines end one) as documents.
        zcat "$tmp/root/usr/share/doc/debian/FAQ/debian-faq.en.txt.gz" |
          awk 'NF { print; blank = 0; next } !blank { print "%"; blank = 1 }' >"$tmp/corpus.txt"
        ;;
      gnu-standards)
        unpack gnu-standards
        # Info nodes (each starts after a 0x1f line) as documents; the node header lines, the
        # tag table (lines holding 0x7f) and the Emacs local variables dropped.
        zcat "$tmp/root/usr/share/info/standards.info.gz" "$tmp/root/usr/share/info/maintain.info.gz" |
          awk '/^\x1f/ { print "%"; header = 1; next } header { header = 0; next }
               /\x7f/ || /^Local Variables:/ || /^coding: / || /^End:$/ { next } { print }' >"$tmp/corpus.txt"
        ;;
      *)
        echo "slimtune: error: no corpus called '$name' (fortunes, debian-faq, gnu-standards)" >&2
        rm -rf "$tmp"
        exit 1
        ;;
    esac
    mv "$tmp/corpus.txt" "$target"
    rm -rf "$tmp"
  fi
  echo "$name $target"
done
