#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test.
# Exits non-zero on any failure.
#   scripts/test.sh               Release build in build/, then every fuzz target for
#                                 15 s (scripts/fuzz.sh: a clang build in build-fuzz/)
#   scripts/test.sh --sanitize    the same tests under ASan + UBSan, in build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
if [ "${1:-}" = "--sanitize" ]; then dir=build-sanitize; fi

scripts/setup.sh
scripts/build.sh "$@"
ctest --test-dir "$dir" --output-on-failure --timeout 900 -j2
if [ "$dir" = build ]; then scripts/fuzz.sh --seconds 15; fi
