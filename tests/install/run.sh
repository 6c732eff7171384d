#!/usr/bin/env bash
# The install test (ctest InstallAndUse): installs the build into a temporary prefix, then builds
# tests/install/main.cc outside the tree against the installed copy twice, with find_package(larder)
# and with pkg-config, and runs both; checks that an internal header (src/) is not reachable and
# that the installed CLI reports the same version.
# Usage: run.sh BUILD_DIR CXX WORK_DIR
set -euo pipefail
build=$1 cxx=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
prefix=$work/prefix

rm -rf "$work"
mkdir -p "$work"
step=install
trap 'echo "install test failed at: $step" >&2; tail -30 "$work/$step.log" >&2 2>/dev/null' ERR
cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1

# 1. CMake package. ccache is left out: the program is built once.
step=cmake
cmake -S "$here" -B "$work/cmake" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug >"$work/cmake.log" 2>&1
cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1
out=$("$work/cmake/user" "$work/cmake.db")

# 2. pkg-config.
step=pkgconfig
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
# shellcheck disable=SC2046  # the flags are meant to split
"$cxx" -o "$work/pc_user" "$here/main.cc" $(pkg-config --cflags --libs larder) >"$work/$step.log" 2>&1
out_pc=$("$work/pc_user" "$work/pc.db")

# 3. Internal headers stay internal: a user cannot include bolt/page.h.
echo '#include "bolt/page.h"' >"$work/internal.cc"
# shellcheck disable=SC2046
if "$cxx" -fsyntax-only $(pkg-config --cflags larder) "$work/internal.cc" 2>/dev/null; then
  echo "install: an internal header is reachable from the installed package" >&2
  exit 1
fi

step=cli
cli=$("$prefix/bin/larder" version)
echo "$out / $out_pc / $cli"
[ "$out" = "$out_pc" ] && [ "$cli" = "${out/larder /larder version }" ]
