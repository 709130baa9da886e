#!/usr/bin/env bash
# Benchmarks of Cairn on this machine.
#   scripts/bench.sh [options]       a fresh local network under load (cairn load):
#     --validators N (4)  --accounts A (1000)  --mode saturation|rate|idle (saturation)
#     --inflight K (2000) --rate R | --rate-of-ceiling F   --seconds S (60)  --warmup W (10)
#     --keep DIR          keep the network's data in DIR and audit node 0's chain: the
#                         audit's transaction count must equal the benchmark's
#     --down K [--down-at S]  SIGKILL K validators before the warm-up (or S s into the
#                         window) and submit only to the others
#     --pkcs11-validators K  the first K validators sign with keys in SoftHSM2 tokens;
#                         the JSON line then adds the token's signatures and their
#                         latency (cairn_token_sign_seconds, summed over the K)
#   scripts/bench.sh report          the README's table: saturation, fixed rate at 25% of
#                                    the ceiling, idle, each healthy and with 1 of 4 down;
#                                    fixed rates at 5% of the ceiling and at twice the
#                                    saturation row (overload); a
#                                    kill inside the window; 7 validators healthy and with
#                                    2 down (each on a fresh network), then the ratios
#   scripts/bench.sh micro [args]    Google Benchmark micro-benchmarks of the hot paths,
#                                    medians of 5 repetitions (args go to cairn_bench)
#   scripts/bench.sh --mode state --accounts N [--seconds S]
#                                    state at scale: a network whose chain gets N accounts
#                                    created by transactions (cairn load --mode populate),
#                                    then a saturation run of S s (default 30) on it, the
#                                    validators' memory, and the restart of one validator
#                                    to serving; one JSON line (scripts/state_bench.sh)
#   scripts/bench.sh --mode sync [--empty-blocks E] [--full-blocks F]
#                                    block sync from an empty disk, three peers serving,
#                                    of an empty chain and of a loaded one, beside the
#                                    rate signature checks allow; one JSON line
#                                    (scripts/sync_bench.sh)
#   scripts/bench.sh --mode retention [--keep-blocks N] [--blocks B] [--rate R] [--seconds S]
#                    [--min-block-interval-ms MS]
#                                    a soak under steady load without and with pruning to
#                                    the last N blocks (on a genesis pacing blocks MS
#                                    apart when given): disk use at intervals, commit
#                                    latency p99 of both, reads in the window with their
#                                    proofs; one JSON line (scripts/retention_bench.sh)
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
  # Each row on a fresh network; the down rows beside the healthy ones of the same run,
  # and a summary of the ratios at the end (the targets of the liveness issue).
  shift
  out=$(mktemp /tmp/cairn-bench-report.XXXXXX)
  # A row that failed a check (cairn load exits non-zero) still reports its line.
  row() { echo "== $*" >&2; { "$0" "$@" || true; } | tee -a "$out.log" | tail -n 1 | sed "s/^/$1$2 /" >> "$out"; }
  row --mode saturation "$@"
  row --mode saturation --down 1 "$@"
  rate=$(sed -n 's/^--modesaturation .*"ceiling_tps":\([0-9.]*\).*/\1/p' "$out" | head -n 1)
  rate=$(awk -v c="$rate" 'BEGIN { printf "%.0f", c * 0.25 }')
  row --mode rate --rate "$rate" "$@"
  row --mode rate --rate "$rate" --down 1 "$@"
  low=$(sed -n 's/^--modesaturation .*"ceiling_tps":\([0-9.]*\).*/\1/p' "$out" | head -n 1)
  low=$(awk -v c="$low" 'BEGIN { printf "%.0f", c * 0.05 }')
  row --mode rate --rate "$low" "$@"
  # Overload: twice what the healthy saturation row committed.
  over=$(sed -n 's/^--modesaturation .*"committed_tps":\([0-9.]*\).*/\1/p' "$out" | head -n 1)
  over=$(awk -v c="$over" 'BEGIN { printf "%.0f", c * 2 }')
  row --mode rate --rate "$over" "$@"
  row --mode idle "$@"
  row --mode idle --down 1 "$@"
  row --mode saturation --down 1 --down-at 20 "$@"
  row --validators 7 --mode saturation "$@"
  row --validators 7 --mode saturation --down 2 "$@"
  cat "$out.log"
  /usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(line.split(" ", 1)[1]) for line in open(sys.argv[1])]
def pick(mode, validators, down, down_at=-1.0):
    return next(r for r in rows if r["mode"] == mode and r["validators"] == validators and r["down"] == down
                and abs(r["down_at_s"] - down_at) < 0.01)
def ratio(a, b):
    return a / b if b else float("nan")
h = pick("saturation", 4, 0)
rates = sorted((r for r in rows if r["mode"] == "rate" and r["validators"] == 4 and r["down"] == 0), key=lambda r: r["offered_tps"])
low, quarter, over = rates[0], rates[1], rates[2]
idle = pick("idle", 4, 0)
print("summary (issue 16's targets, against the ceiling measured in each row):")
print(f"  saturation: {h['committed_tps']:.0f} tx/s = {h['ratio_to_ceiling']:.2f} of the ceiling (target >= 0.45), failed {h['failed']}, lost {h['lost']}, rss max {h['rss_mb_max']:.0f} MB (target <= 300)")
print(f"  5% of the ceiling ({low['offered_tps']:.0f} tx/s): p50 {low['latency_ms_p50']:.1f} ms (target <= 15), p99 {low['latency_ms_p99']:.1f} ms (target <= 50)")
print(f"  25% of the ceiling ({quarter['offered_tps']:.0f} tx/s): p50 {quarter['latency_ms_p50']:.1f} ms (target <= 50), p99 {quarter['latency_ms_p99']:.1f} ms (target <= 200)")
print(f"  idle: the four validators at {idle['cpu_percent_of_one_core']:.1f}% of one core (target < 5%)")
print(f"  overload ({over['offered_tps']:.0f} tx/s offered, twice the saturation row): committed {over['committed_tps']:.0f} = {ratio(over['committed_tps'], h['committed_tps']):.2f} of saturation (target >= 0.9), p99 of the accepted {over['latency_ms_p99']:.0f} ms, refused and retried {over['refused']}, not taken by the end {over['unsent']}, failed {over['failed']}, lost {over['lost']} (target 0)")
h, d = pick("saturation", 4, 0), pick("saturation", 4, 1)
print("summary (down / healthy, same run):")
print(f"  saturation, 1 of 4 down: {d['committed_tps']:.0f} / {h['committed_tps']:.0f} tx/s = {ratio(d['committed_tps'], h['committed_tps']):.2f} (target >= 0.8)")
h, d = pick("rate", 4, 0), pick("rate", 4, 1)
print(f"  25% of the ceiling ({h['offered_tps']:.0f} tx/s offered), 1 of 4 down: p50 {d['latency_ms_p50']:.0f} / {h['latency_ms_p50']:.0f} ms = {ratio(d['latency_ms_p50'], h['latency_ms_p50']):.2f}x (target <= 1.5x), p99 {d['latency_ms_p99']:.0f} / {h['latency_ms_p99']:.0f} ms = {ratio(d['latency_ms_p99'], h['latency_ms_p99']):.2f}x (target <= 2x)")
h, d = pick("idle", 4, 0), pick("idle", 4, 1)
print(f"  idle, 1 of 4 down: {d['blocks']} / {h['blocks']} blocks = {ratio(d['blocks'], h['blocks']):.2f} (target >= 0.8)")
k = pick("saturation", 4, 1, 20.0)
print(f"  killed 20 s into the window: longest wait between blocks {k['longest_commit_gap_ms']:.0f} ms (target <= 2 base timeouts = 4000 ms), back within 20% after {k['recovery_s']:.1f} s")
h, d = pick("saturation", 7, 0), pick("saturation", 7, 2)
print(f"  saturation, 2 of 7 down: {d['committed_tps']:.0f} / {h['committed_tps']:.0f} tx/s = {ratio(d['committed_tps'], h['committed_tps']):.2f} (target >= 0.8)")
PY
  rm -f "$out" "$out.log"
  exit 0
fi

if [ "${1:-}" = --mode ] && [ "${2:-}" = state ]; then
  shift 2
  exec "$root/scripts/state_bench.sh" "$@"
fi
if [ "${1:-}" = --mode ] && [ "${2:-}" = sync ]; then
  shift 2
  exec "$root/scripts/sync_bench.sh" "$@"
fi
if [ "${1:-}" = --mode ] && [ "${2:-}" = retention ]; then
  shift 2
  exec "$root/scripts/retention_bench.sh" "$@"
fi

validators=4 accounts=1000 keep="" port=${CAIRN_BENCH_PORT:-27600} pkcs11_validators=0
load_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --validators) validators=$2; shift 2 ;;
    --accounts) accounts=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --pkcs11-validators) pkcs11_validators=$2; shift 2 ;;
    --mode | --inflight | --rate | --rate-of-ceiling | --seconds | --warmup | --drain | --down | --down-at)
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
    CAIRN_DEVNET_LOAD_ACCOUNTS=$accounts CAIRN_DEVNET_PKCS11_VALIDATORS=$pkcs11_validators CAIRN_BIN=$bin \
    scripts/devnet.sh "$1" >/dev/null
}
cleanup() {
  network stop || true
  if [ -z "$keep" ]; then rm -rf "$dir" "$dir.tokens"; fi
}
trap cleanup EXIT
network start

status=0
"$bin/cairn" load --network "$dir" "${load_args[@]}" | tee "$dir/bench.out" || status=$?
if [ "$pkcs11_validators" -gt 0 ]; then
  # The token's share, from the validators that sign with one: how many messages it
  # signed and how long each took from the synced safety record to the checked
  # signature (the latency the token adds to this validator's part of a round).
  for i in $(seq 0 $((pkcs11_validators - 1))); do
    curl -s --max-time 2 "http://127.0.0.1:$((port + 4 * i + 2))/metrics"
  done | python3 -c '
import json, re, sys
metrics = sys.stdin.read()
def total(name):
    return sum(float(v) for v in re.findall(r"^" + name + r"(?:\{[^}]*\})? ([0-9.e+-]+)$", metrics, re.M))
line = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
count = total("cairn_token_signatures_total")
buckets = {}
for le, n in re.findall(r"^cairn_token_sign_seconds_bucket\{le=\"([^\"]+)\"\} ([0-9.e+-]+)$", metrics, re.M):
    buckets[float(le)] = buckets.get(float(le), 0) + float(n)
median_bound = next((le for le, n in sorted(buckets.items()) if n >= count / 2), None)
line.update(pkcs11_validators=int(sys.argv[2]), token_signatures=int(count),
            token_failures=int(total("cairn_token_failures_total")),
            token_sign_ms_mean=round(1000 * total("cairn_token_sign_seconds_sum") / max(count, 1), 3),
            token_sign_ms_median_at_most=None if median_bound is None else 1000 * median_bound)
print(json.dumps(line, separators=(",", ":")))' "$dir/bench.out" "$pkcs11_validators" | tee -a "$dir/bench.out"
fi
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
