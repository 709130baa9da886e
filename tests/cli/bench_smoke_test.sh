#!/usr/bin/env bash
# scripts/bench.sh end to end, briefly: a fresh 4-validator network under saturation
# for 5 s must refuse and lose nothing, print its JSON line, and agree with the audit of
# node 0's chain on the number of transactions (bench.sh exits non-zero otherwise).
# Usage: bench_smoke_test.sh BIN_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/cairn-bench-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
CAIRN_BIN=$1 CAIRN_BENCH_PORT=27700 "$root/scripts/bench.sh" --accounts 200 --inflight 500 --seconds 5 \
  --warmup 2 --drain 30 --keep "$work/net" | tee "$work/out"
json=$(grep '^{' "$work/out" | tail -n 1)
for field in validators seconds offered_tps committed_tps latency_ms_p50 latency_ms_p99 verify_per_s_one_core \
  ceiling_tps ratio_to_ceiling rss_mb_max; do
  echo "$json" | grep -q "\"$field\":" || { echo "the JSON line lacks $field" >&2; exit 1; }
done
committed=$(echo "$json" | sed -n 's/.*"chain_txs":\([0-9]*\).*/\1/p')
[ "$committed" -gt 0 ] || { echo "nothing committed" >&2; exit 1; }
# The validators' memory and CPU come from /proc: a reading that failed would be zero.
echo "$json" | grep -q '"rss_mb_max":0.0,' && { echo "no validator memory was read" >&2; exit 1; }
echo "$json" | grep -qE '"cpu_s":\[(0.00[],]|\])' && { echo "no validator CPU was read" >&2; exit 1; }
echo "bench smoke: $committed transactions committed and audited"
