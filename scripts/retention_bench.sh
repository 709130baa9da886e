#!/usr/bin/env bash
# scripts/bench.sh --mode retention [--keep-blocks N] [--blocks B] [--rate R] [--seconds S]
#                                   [--min-block-interval-ms MS]
# Retention under steady load, two runs on fresh 4-validator networks, each cairn load at
# R tx/s (default 400) for S s (default 150), long enough for the chain to pass B blocks
# (default 10,000; the JSON line says whether it did), on a genesis pacing blocks at least
# MS apart when given (fewer, fuller blocks; default: the genesis default):
#   archive: no pruning;
#   pruning: every validator keeps the bodies, receipts and indexes of the last N blocks
#            (default 1,000) and the last N state versions.
# During the pruning run it samples, every 5 s, each validator's data directory (du) and
# node 0's height; "flat" is, once the chain is past 3 windows (the window full, its first
# compactions done), the largest over the nodes of the size at the end over the size at
# the start of that span, each read off a least-squares line of size against height (the
# samples saw-tooth with LevelDB's logs); target <= 1.10. Headers and certificates are
# never pruned, so some growth a block remains: growth_bytes_per_block_pruning beside the
# archive run's says how much. At the end of it, on node 0: 20 blocks spread over the window are
# read, each with one of its transactions (its inclusion proof checked by `cairn tx`) and
# that transaction's sender (its state proof checked by `cairn account`), and a block
# below the window must be refused as pruned. Commit latency p99 of the two runs stands
# beside each other. The last line is one JSON object. CAIRN_BIN and CAIRN_BENCH_PORT as
# for bench.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

keep_blocks=1000 blocks=10000 rate=400 seconds=150 pacing="" port=${CAIRN_BENCH_PORT:-27600}
while [ $# -gt 0 ]; do
  case "$1" in
    --keep-blocks) keep_blocks=$2; shift 2 ;;
    --blocks) blocks=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --min-block-interval-ms) pacing=$2; shift 2 ;;
    *) echo "retention_bench.sh: unknown option $1 (see the top of scripts/retention_bench.sh)" >&2; exit 2 ;;
  esac
done

if [ -z "${CAIRN_BIN:-}" ]; then
  scripts/setup.sh >/dev/null
  scripts/build.sh cairn cairnd >/dev/null
fi
bin=$(cd "${CAIRN_BIN:-build/bin}" && pwd)
python=/usr/bin/python3
work=$(mktemp -d /tmp/cairn-retention-bench.XXXXXX)
dir=""
network() {  # ACTION [VAR=VALUE...]: the validators get the settings as environment
  local action=$1
  shift
  env "$@" CAIRN_DEVNET_MIN_BLOCK_INTERVAL_MS="$pacing" CAIRN_DEVNET_DIR="$dir" CAIRN_DEVNET_PORT="$port" CAIRN_DEVNET_VALIDATORS=4 CAIRN_DEVNET_LOAD_ACCOUNTS=1000 \
    CAIRN_BIN="$bin" scripts/devnet.sh "$action" >/dev/null
}
cleanup() {
  if [ -n "$dir" ]; then network stop || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

height() {
  curl -s --max-time 2 "http://127.0.0.1:$((port + 2))/metrics" 2>/dev/null |
    awk '$1 == "cairn_committed_height" { print $2 }' || true
}

# run NAME [VAR=VALUE...]: a fresh network started with that environment, under load;
# the load's JSON line in $work/NAME.json, the disk samples in $work/NAME.disk.
run() {
  local name=$1
  shift
  dir=$work/$name
  network start "$@"
  (
    while sleep 5; do
      line="$(date +%s) $(height)"
      for i in 0 1 2 3; do line+=" $(du -sb "$dir/node$i/data" 2>/dev/null | cut -f1)"; done
      echo "$line"
    done
  ) >"$work/$name.disk" &
  local sampler=$!
  echo "retention_bench: $name run, $rate tx/s for $seconds s..." >&2
  "$bin/cairn" load --network "$dir" --mode rate --rate "$rate" --seconds "$seconds" | tail -n 1 >"$work/$name.json"
  if [ "$name" = pruning ]; then check_reads >"$work/reads.json"; fi
  # Why a sample lacked node 0's height: its slow renders of /metrics (node/metrics.h).
  grep -h "rendering /metrics took" "$dir/node0/cairnd.log" >"$work/$name.slow" || true
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  network stop
}

# On node 0 of the pruning run: reads inside the window answer with their proofs, a read
# below it is refused naming the retained range (scripts/retention_reads.py).
check_reads() {
  # Its client venv goes in the work folder, removed with it.
  TMPDIR=$work $python "$root/scripts/retention_reads.py" "$root/proto" "127.0.0.1:$((port + 1))" "$keep_blocks"
}

run archive
run pruning CAIRN_RETENTION_KEEP_BLOCKS="$keep_blocks" CAIRN_RETENTION_KEEP_STATE_VERSIONS="$keep_blocks"

$python - "$work" "$keep_blocks" "$blocks" "$pacing" <<'PY'
import json, sys
work, keep, blocks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pacing = int(sys.argv[4]) if sys.argv[4] else None
archive = json.load(open(f"{work}/archive.json"))
pruning = json.load(open(f"{work}/pruning.json"))
reads = json.load(open(f"{work}/reads.json"))
def samples(name):
    """The complete samples, and how many were not (node 0's /metrics did not answer
    within 2 s, or a du did not finish)."""
    rows, incomplete = [], 0
    for line in open(f"{work}/{name}.disk"):
        parts = line.split()
        if len(parts) == 6 and all(p.isdigit() for p in parts):
            rows.append([int(p) for p in parts])
        else:
            incomplete += 1
    return rows, incomplete
def fit(rows, node):
    """Least squares of the node's disk bytes against the height: (bytes a block, bytes at
    the first row's height). LevelDB's logs fill to its write buffer and flush, a sawtooth
    of up to 16 MiB a database that single samples would mistake for growth."""
    xs, ys = [r[1] for r in rows], [r[2 + node] for r in rows]
    n, mx, my = len(xs), sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / max(sum((x - mx) ** 2 for x in xs), 1)
    return slope, my + slope * (xs[0] - mx)
def flat(rows):
    """Once the window is full (past 3 windows: its first compactions done): the largest
    over the nodes of the fitted size at the last sample over that at the first."""
    full = [r for r in rows if r[1] >= 3 * keep]
    if len(full) < 4:
        return None, None
    ratios, slopes = [], []
    for node in range(4):
        slope, start = fit(full, node)
        ratios.append((start + slope * (full[-1][1] - full[0][1])) / start)
        slopes.append(slope)
    return round(max(ratios), 3), round(max(slopes))
def slow_renders(name):
    """Node 0's renders of /metrics that took 500 ms or more: how many, the longest, and
    the collector most often the slowest."""
    lines = open(f"{work}/{name}.slow").read().splitlines()
    took = [int(l.split("rendering /metrics took ")[1].split(" ms")[0]) for l in lines]
    names = [l.split("the slowest collector, ")[1].split(",")[0] for l in lines]
    return {"count": len(lines), "max_ms": max(took, default=None),
            "collector": max(set(names), key=names.count) if names else None}
(pruned_rows, pruned_incomplete), (archive_rows, archive_incomplete) = samples("pruning"), samples("archive")
mb = lambda rows: [round(r[2] / 1e6, 1) for r in rows]
p99a, p99p = archive["latency_ms_p99"], pruning["latency_ms_p99"]
print(json.dumps({
    "mode": "retention", "keep_blocks": keep, "rate_tps": archive["offered_tps"], "min_block_interval_ms": pacing,
    # The chain's height when the load ended (cairn load reads it), not the last sample's.
    "blocks_archive": archive["chain_height"], "blocks_pruning": pruning["chain_height"],
    "passed_blocks_target": pruning["chain_height"] >= blocks,
    "samples_archive": len(archive_rows), "samples_incomplete_archive": archive_incomplete,
    "samples_pruning": len(pruned_rows), "samples_incomplete_pruning": pruned_incomplete,
    "slow_metrics_archive": slow_renders("archive"), "slow_metrics_pruning": slow_renders("pruning"),
    "last_sample_height_pruning": pruned_rows[-1][1] if pruned_rows else None,
    "disk_mb_node0_archive": mb(archive_rows), "disk_mb_node0_pruning": mb(pruned_rows),
    "flat_end_over_start": flat(pruned_rows)[0], "flat_target": 1.10,
    "growth_bytes_per_block_pruning": flat(pruned_rows)[1],
    "growth_bytes_per_block_archive": round(fit(archive_rows, 0)[0]) if len(archive_rows) > 1 else None,
    "latency_ms_p99_archive": p99a, "latency_ms_p99_pruning": p99p,
    "p99_ratio": round(p99p / p99a, 2) if p99a else None,
    "committed_tps_archive": archive["committed_tps"], "committed_tps_pruning": pruning["committed_tps"],
    **{f"reads_{k}": v for k, v in reads.items()}}))
PY
