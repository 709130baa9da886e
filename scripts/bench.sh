#!/usr/bin/env bash
# Micro-benchmarks of the hot paths (Google Benchmark), medians of 5 repetitions.
# Extra arguments go to the benchmark binary, e.g. --benchmark_filter=Ed25519.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
scripts/build.sh cairn_bench >/dev/null
exec build/bin/cairn_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_display_aggregates_only=true "$@"
