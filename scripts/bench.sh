#!/usr/bin/env bash
# Benchmarks of Cairn on this machine.
#   scripts/bench.sh [options]       a fresh local network under load (cairn load):
#     --validators N (4)  --accounts A (1000)  --mode saturation|rate|idle (saturation)
#     --inflight K (2000) --rate R | --rate-of-ceiling F   --seconds S (60)  --warmup W (10)
#     --keep DIR          keep the network's data in DIR and audit node 0's chain: the
#                         audit's transaction count must equal the benchmark's
#   scripts/bench.sh report          the README's table: saturation, fixed rate at 25% of
#                                    the ceiling, idle (each on a fresh network)
#   scripts/bench.sh micro [args]    Google Benchmark micro-benchmarks of the hot paths,
#                                    medians of 5 repetitions (args go to cairn_bench)
# The last line of a network run is one JSON object (node/load/report.h). With CAIRN_BIN
# set to a folder holding cairn and cairnd, nothing is installed or built (tests use
# that); CAIRN_BENCH_PORT (default 27600) is the network's first port.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ "${1:-}" = micro ]; then
  shift
  scripts/setup.sh >/dev/null
  scripts/build.sh cairn_bench >/dev/null
  exec build/bin/cairn_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_display_aggregates_only=true "$@"
fi

if [ "${1:-}" = report ]; then
  shift
  "$0" --mode saturation "$@"
  "$0" --mode rate --rate-of-ceiling 0.25 "$@"
  exec "$0" --mode idle "$@"
fi

validators=4 accounts=1000 keep="" port=${CAIRN_BENCH_PORT:-27600}
load_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --validators) validators=$2; shift 2 ;;
    --accounts) accounts=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --mode | --inflight | --rate | --rate-of-ceiling | --seconds | --warmup | --drain)
      load_args+=("$1" "$2"); shift 2 ;;
    *) echo "bench.sh: unknown option $1 (see the top of scripts/bench.sh)" >&2; exit 2 ;;
  esac
done

if [ -z "${CAIRN_BIN:-}" ]; then
  scripts/setup.sh >/dev/null
  scripts/build.sh cairn cairnd >/dev/null
fi
bin=${CAIRN_BIN:-build/bin}

if [ -n "$keep" ]; then
  if [ -e "$keep" ] && [ -n "$(ls -A "$keep")" ]; then echo "bench.sh: $keep is not empty" >&2; exit 2; fi
  dir=$keep
else
  dir=$(mktemp -d /tmp/cairn-bench.XXXXXX)
fi
network() {
  CAIRN_DEVNET_DIR=$dir CAIRN_DEVNET_PORT=$port CAIRN_DEVNET_VALIDATORS=$validators \
    CAIRN_DEVNET_LOAD_ACCOUNTS=$accounts CAIRN_BIN=$bin scripts/devnet.sh "$1" >/dev/null
}
cleanup() {
  network stop || true
  if [ -z "$keep" ]; then rm -rf "$dir"; fi
}
trap cleanup EXIT
network start

status=0
"$bin/cairn" load --network "$dir" "${load_args[@]}" | tee "$dir/bench.out" || status=$?
network stop
if [ -n "$keep" ]; then
  chain_txs=$(tail -n 1 "$dir/bench.out" | sed -n 's/.*"chain_txs":\([0-9]*\).*/\1/p')
  audit=$("$bin/cairn" audit --genesis "$dir/genesis.json" --data "$dir/node0/data")
  echo "$audit"
  audited=$(echo "$audit" | sed -n 's/.* blocks, \([0-9]*\) transactions.*/\1/p')
  if [ "$audited" != "$chain_txs" ]; then
    echo "bench.sh: the audit counts $audited transactions, the benchmark $chain_txs" >&2
    status=1
  else
    echo "bench.sh: the audit of node 0's chain agrees: $audited transactions"
  fi
fi
exit $status
