#!/usr/bin/env bash
# Builds a C program against an installed slimtune the way its README says to:
#   cc SOURCE -o OUT $(pkg-config --cflags --libs slimtune) -lm
# with PKG_CONFIG_PATH pointing into PREFIX (wherever GNUInstallDirs put the .pc file).
#   cc_slimtune.sh PREFIX SOURCE -o OUT
set -euo pipefail
prefix=$1
shift
pc=$(dirname "$(find "$prefix" -name slimtune.pc | head -n 1)")
export PKG_CONFIG_PATH="$pc"
exec cc -std=c11 -Wall -Wextra -Werror "$@" $(pkg-config --cflags --libs slimtune) -lm
