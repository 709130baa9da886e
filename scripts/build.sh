#!/usr/bin/env bash
# Builds Cairn with CMake and Ninja.
#   scripts/build.sh [TARGET...]              Release into build/, binaries in build/bin/
#   scripts/build.sh --sanitize [TARGET...]   Debug with ASan + UBSan into build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
type=Release
sanitize=OFF
if [ "${1:-}" = "--sanitize" ]; then
  shift
  dir=build-sanitize
  type=Debug
  sanitize=ON
fi

cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DCAIRN_SANITIZE="$sanitize" >/dev/null
cmake --build "$dir" -- "$@"
