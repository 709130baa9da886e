#!/usr/bin/env bash
# scripts/bench.sh --mode state --accounts N [--seconds S]: Cairn with a big state.
# A fresh 4-validator network whose 1,000 load accounts are admins creates N accounts
# by transactions (batched as the chain takes them), then it measures, on that chain:
#   rss_mb_max      the highest resident memory of a validator while it took them and
#                   while it ran the saturation load (RSS, sampled every 250 ms)
#   committed_tps, latency_ms_p50/p99   a saturation run of S s (compare with N = 1000)
#   restart_s       one validator stopped (SIGTERM) and started again: from its start
#                   to its first gRPC answer (GetStatus)
#   state_sync_s, state_sync_bytes   validator 3 with its data wiped and sync_mode
#                   "state": from its start to its first gRPC answer (the node opens
#                   once the state is restored and checked), fetching from the other
#                   three; the bytes are those of the state chunks it took (its log)
# The last line is one JSON object. CAIRN_BIN and CAIRN_BENCH_PORT as for bench.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

accounts=1000 seconds=30 port=${CAIRN_BENCH_PORT:-27600}
while [ $# -gt 0 ]; do
  case "$1" in
    --accounts) accounts=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "state_bench.sh: unknown option $1 (see the top of scripts/state_bench.sh)" >&2; exit 2 ;;
  esac
done

if [ -z "${CAIRN_BIN:-}" ]; then
  scripts/setup.sh >/dev/null
  scripts/build.sh cairn cairnd >/dev/null
fi
bin=$(cd "${CAIRN_BIN:-build/bin}" && pwd)
python=/usr/bin/python3
dir=$(mktemp -d /tmp/cairn-state-bench.XXXXXX)
network() {
  CAIRN_DEVNET_DIR=$dir CAIRN_DEVNET_PORT=$port CAIRN_DEVNET_VALIDATORS=4 CAIRN_DEVNET_LOAD_ACCOUNTS=1000 \
    CAIRN_DEVNET_LOAD_ADMINS=1 CAIRN_BIN=$bin scripts/devnet.sh "$1" >/dev/null
}
cleanup() {
  network stop || true
  rm -rf "$dir"
}
trap cleanup EXIT
network start
field() { $python -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("null" if v is None else v)' "$1" "$2"; }

echo "state_bench: creating $accounts accounts..." >&2
populate=$("$bin/cairn" load --network "$dir" --mode populate --create "$accounts" | tail -n 1)
echo "$populate" >&2
echo "state_bench: saturation load for $seconds s on the populated chain..." >&2
load=$("$bin/cairn" load --network "$dir" --mode saturation --seconds "$seconds" --warmup 5 | tail -n 1)
echo "$load" >&2

# stop_node NODE: SIGTERM, and wait for it to end.
stop_node() {
  local pid
  pid=$(cat "$dir/node$1/cairnd.pid")
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}
# time_to_serving NODE TRIES: starts it and prints the seconds to its first gRPC answer
# (null after TRIES polls 50 ms apart).
time_to_serving() {
  local grpc=127.0.0.1:$((port + 4 * $1 + 1)) start_ns
  start_ns=$(date +%s%N)
  nohup "$bin/cairnd" --config "$dir/node$1/config.json" >>"$dir/node$1/cairnd.log" 2>&1 &
  echo $! >"$dir/node$1/cairnd.pid"
  for _ in $(seq 1 "$2"); do
    if "$bin/cairn" status --node "$grpc" >/dev/null 2>&1; then
      $python -c "print(round(($(date +%s%N) - $start_ns) / 1e9, 2))"
      return
    fi
    sleep 0.05
  done
  echo null
}

# Restart node 1 to serving.
stop_node 1
restart_s=$(time_to_serving 1 1200)

# A fresh node state-syncs from the three others.
node=3
stop_node $node
$python - "$dir/node$node/config.json" <<'PY'
import json, os, shutil, sys
path = sys.argv[1]
config = json.load(open(path))
config["sync_mode"] = "state"
json.dump(config, open(path, "w"), indent=2)
data = config["data_dir"] if os.path.isabs(config["data_dir"]) else os.path.join(os.path.dirname(path), config["data_dir"])
shutil.rmtree(data)
PY
echo "state_bench: node $node state-syncs from three peers..." >&2
state_sync_s=$(time_to_serving $node 6000)
joined=$(grep -o 'joined at block .*' "$dir/node$node/cairnd.log" | tail -n 1 || true)
echo "state_bench: $joined" >&2
state_sync_bytes=$(echo "$joined" | grep -o '([0-9]* bytes' | grep -o '[0-9]*' || echo null)

rss_populate=$(field "$populate" rss_mb_max)
rss_load=$(field "$load" rss_mb_max)
$python - "$populate" "$load" "$accounts" "$rss_populate" "$rss_load" "$restart_s" "$state_sync_s" "${state_sync_bytes:-null}" <<'PY'
import json, sys
populate, load = json.loads(sys.argv[1]), json.loads(sys.argv[2])
accounts, rss_populate, rss_load, restart = int(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
sync_s, sync_bytes = sys.argv[7], sys.argv[8]
rss_load = float(rss_load)
print(json.dumps({
    "mode": "state", "accounts": accounts, "created_per_s": populate["created_per_s"],
    "rss_mb_max": max(rss_populate, rss_load), "rss_mb_max_populate": rss_populate, "rss_mb_max_load": rss_load,
    "committed_tps": load.get("committed_tps"), "latency_ms_p50": load.get("latency_ms_p50"),
    "latency_ms_p99": load.get("latency_ms_p99"),
    "restart_s": None if restart == "null" else float(restart),
    "state_sync_s": None if sync_s == "null" else float(sync_s),
    "state_sync_bytes": None if sync_bytes in ("null", "") else int(sync_bytes)}))
PY
