#!/usr/bin/env bash
# scripts/bench.sh --mode sync [--empty-blocks E] [--full-blocks F]: block sync from an
# empty disk, three peers serving. For each of two chains:
#   empty: a 4-validator network whose genesis sets a 40 ms round timeout, so that an
#          idle leader proposes an empty block every 20 ms, runs until E blocks (5,000);
#   full:  a 4-validator network under saturation load (cairn load) until F blocks
#          (2,000) that carry transactions;
# then every validator is stopped, validators 0-2 start again (they serve; the chain
# they make meanwhile is not counted), validator 3's data is wiped and it starts: the
# time from its start until it has committed the head the three had when it started
# gives sync_empty_blocks_per_s and sync_full_blocks_per_s.
# The verify rate (Ed25519 verifications a second on one core, BM_Ed25519Verify's median
# of 5 runs, measured before the first node starts and again after the last stops, the
# higher of the two kept: no node shares the core with it, and the bound is the stricter)
# and the cores give the rate the signature checks alone allow for the full chain:
#   verify_bound_blocks_per_s = verify/s * cores / (signatures a block: its
#   transactions' plus its certificate's), and sync_full_ratio_to_verify is the
#   measured rate over that bound.
# The last line is one JSON object. CAIRN_BIN and CAIRN_BENCH_PORT as for bench.sh;
# CAIRN_SYNC_PERF=PREFIX records node 3 with perf for 10 s while it syncs (PREFIX.empty,
# PREFIX.full).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

empty_blocks=5000 full_blocks=2000 port=${CAIRN_BENCH_PORT:-27600}
while [ $# -gt 0 ]; do
  case "$1" in
    --empty-blocks) empty_blocks=$2; shift 2 ;;
    --full-blocks) full_blocks=$2; shift 2 ;;
    *) echo "sync_bench.sh: unknown option $1 (see the top of scripts/sync_bench.sh)" >&2; exit 2 ;;
  esac
done

if [ -z "${CAIRN_BIN:-}" ]; then
  scripts/setup.sh >/dev/null
  scripts/build.sh cairn cairnd cairn_bench >/dev/null
fi
bin=$(cd "${CAIRN_BIN:-build/bin}" && pwd)
python=/usr/bin/python3
work=$(mktemp -d /tmp/cairn-sync-bench.XXXXXX)
dir=""
network() {
  CAIRN_DEVNET_DIR=$dir CAIRN_DEVNET_PORT=$port CAIRN_DEVNET_VALIDATORS=4 CAIRN_DEVNET_LOAD_ACCOUNTS=1000 \
    CAIRN_BIN=$bin scripts/devnet.sh "$1" >/dev/null
}
cleanup() {
  if [ -n "$dir" ]; then network stop || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

metric() {  # NODE NAME
  curl -s --max-time 2 "http://127.0.0.1:$((port + 4 * $1 + 2))/metrics" 2>/dev/null |
    awk -v name="$2" '$1 == name { print $2 }' || true
}
height() { metric "$1" cairn_committed_height; }
start_node() {  # NODE [VAR=VALUE...]: cairnd with the given environment
  local node=$1
  shift
  env "$@" nohup "$bin/cairnd" --config "$dir/node$node/config.json" >>"$dir/node$node/cairnd.log" 2>&1 &
  echo $! >"$dir/node$node/cairnd.pid"
}
wait_height() {  # NODE HEIGHT TRIES(100 ms)
  # One process polls, not a curl, an awk and a subshell every 100 ms: on two cores
  # those took 15% of the CPU from the node being measured.
  $python - "$((port + 4 * $1 + 2))" "$2" "$3" <<'PY' && return 0
import sys, time, urllib.request
port, target, tries = (int(a) for a in sys.argv[1:])
for _ in range(tries):
    try:
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
        heights = [line.split()[1] for line in metrics.splitlines() if line.startswith("cairn_committed_height ")]
        if heights and int(float(heights[0])) >= target:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
PY
  echo "sync_bench: node $1 did not reach height $2" >&2
  return 1
}

quiet_verify() {  # Ed25519 verifications a second on one core, with no node running
  "$bin/cairn_bench" --benchmark_filter='BM_Ed25519Verify/real_time/threads:1$' --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true --benchmark_format=json 2>/dev/null |
    $python -c 'import json, sys; print(round(next(b["items_per_second"] for b in json.load(sys.stdin)["benchmarks"] if b.get("aggregate_name") == "median")))'
}

# sync_from_three: stops the network, restarts 0-2, wipes 3 and prints "BLOCKS
# SECONDS" for its catch-up to their head.
sync_from_three() {
  network stop
  for node in 0 1 2; do start_node $node; done
  for node in 0 1 2; do wait_height $node 1 600; done
  local head
  head=$(height 0)
  rm -rf "$dir/node3/data"
  local start_ns
  start_ns=$(date +%s%N)
  start_node 3
  if [ -n "${CAIRN_SYNC_PERF:-}" ]; then
    perf record -F 499 -g -o "$CAIRN_SYNC_PERF.$1" -p "$(cat "$dir/node3/cairnd.pid")" -- sleep 10 >/dev/null 2>&1 &
  fi
  wait_height 3 "$head" 36000
  local end_ns
  end_ns=$(date +%s%N)
  $python -c "print($head, ($end_ns - $start_ns) / 1e9)"
}

if [ -n "$(height 0)" ]; then
  echo "sync_bench: something already answers on port $((port + 2)); stop it or set CAIRN_BENCH_PORT" >&2
  exit 1
fi

verify_before=$(quiet_verify)

# The empty chain.
dir=$work/empty
"$bin/cairn" testnet --validators 4 --out "$dir" --base-port "$port" --load-accounts 1000 >/dev/null
$python - "$dir/genesis.json" <<'PY'
import json, sys
path = sys.argv[1]
genesis = json.load(open(path))
genesis["consensus"] = {"round_timeout_ms": 40}
json.dump(genesis, open(path, "w"), indent=1)
PY
network start
echo "sync_bench: building $empty_blocks empty blocks..." >&2
wait_height 0 "$empty_blocks" 36000
read -r empty_synced empty_s < <(sync_from_three empty)
echo "sync_bench: empty: $empty_synced blocks in $empty_s s" >&2
network stop
dir=""
rm -rf "$work/empty"

# The full chain.
dir=$work/full
network start
echo "sync_bench: building $full_blocks blocks under saturation load..." >&2
while true; do
  h=$(height 0)
  if [ -n "$h" ] && [ "$h" -ge "$full_blocks" ]; then break; fi
  "$bin/cairn" load --network "$dir" --mode saturation --seconds 20 --warmup 0 >/dev/null
done
# Node 0 has run since genesis: its count is the chain's (the blocks after the load
# are empty).
sleep 2
full_txs=$(metric 0 cairn_txs_committed_total)
read -r full_synced full_s < <(sync_from_three full)
echo "sync_bench: full: $full_synced blocks ($full_txs transactions) in $full_s s" >&2
network stop
dir=""
verify_after=$(quiet_verify)
echo "sync_bench: Ed25519 verifications/s on one core: $verify_before before, $verify_after after" >&2

$python - "$verify_before $verify_after" "$empty_synced" "$empty_s" "$full_synced" "$full_s" "$full_txs" "$(nproc)" <<'PY'
import json, sys
samples = [int(v) for v in sys.argv[1].split()]
verify = max(samples)
empty_blocks, empty_s, full_blocks, full_s = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
txs, cores = int(float(sys.argv[6])), int(sys.argv[7])
# Each certificate holds a quorum of the four validators' signatures: 3.
signatures_per_block = txs / full_blocks + 3
bound = verify * cores / signatures_per_block
full_rate = full_blocks / full_s
print(json.dumps({
    "mode": "sync", "peers": 3, "cores": cores, "verify_per_s_one_core": verify, "verify_samples": samples,
    "empty_blocks": empty_blocks, "sync_empty_s": round(empty_s, 2),
    "sync_empty_blocks_per_s": round(empty_blocks / empty_s, 1),
    "full_blocks": full_blocks, "full_txs": txs, "sync_full_s": round(full_s, 2),
    "sync_full_blocks_per_s": round(full_rate, 1),
    "verify_bound_blocks_per_s": round(bound, 1), "sync_full_ratio_to_verify": round(full_rate / bound, 3)}))
PY
