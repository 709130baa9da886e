#!/usr/bin/env bash
# scripts/soak.sh sim [--hours H] [--jobs J] [--chunk S] [--first-seed F]
#
# The simulator's long run: cairn-sim over fresh seeds, in chunks of S seeds (default
# 1,000), each chunk in the next of the modes below, J chunks at a time (default: the
# cores), for H hours (default 1; fractions allowed), never the same seed twice in a
# mode. Every mode runs the honest protocol, so any violation is a bug: its chunk's
# output is kept and the command that replays the seed is printed. The last line is one
# JSON object: seeds, violations, wall time and seeds a second, in all and per mode.
# CAIRN_BIN as for bench.sh (default: build/bin, built if missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ "${1:-}" = sim ] || usage
shift
hours=1 jobs=$(nproc) chunk=1000 first=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --hours) hours=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --chunk) chunk=$2; shift 2 ;;
    --first-seed) first=$2; shift 2 ;;
    *) usage ;;
  esac
done

if [ -z "${CAIRN_BIN:-}" ]; then
  scripts/setup.sh >/dev/null
  scripts/build.sh cairn-sim >/dev/null
fi
sim=$(cd "${CAIRN_BIN:-build/bin}" && pwd)/cairn-sim

# name|arguments: every mode CI runs, with the honest protocol.
modes=(
  "random-n4|--validators 4"
  "random-n7|--validators 7"
  "twins|--twins"
  "reconfigure-n4|--reconfigure --validators 4"
  "reconfigure-n7|--reconfigure --validators 7"
  "token-signers|--validators 4 --token-signers 4"
)
work=$(mktemp -d /tmp/cairn-soak.XXXXXX)
trap 'rm -rf "$work"' EXIT
deadline=$(( $(date +%s) + $(awk -v h="$hours" 'BEGIN { printf "%d", h * 3600 }') ))
start=$(date +%s)
echo "soak: cairn-sim in ${#modes[@]} modes, $chunk seeds a chunk, $jobs at a time, for $hours h" >&2

# run_chunk INDEX: chunk INDEX in mode INDEX mod the modes, seeds from its own range.
run_chunk() {
  local index=$1 mode=${modes[$(( $1 % ${#modes[@]} ))]}
  local name=${mode%%|*} args=${mode#*|}
  local seed=$(( first + (index / ${#modes[@]}) * chunk ))
  # shellcheck disable=SC2086  # the mode's arguments are words
  if ! "$sim" $args --seeds "$chunk" --seed "$seed" >"$work/$index.out" 2>&1; then
    if ! grep -q "VIOLATION" "$work/$index.out"; then
      echo "soak: chunk $index ($name from seed $seed) failed without a violation:" >&2
      tail -n 5 "$work/$index.out" >&2
    fi
  fi
  echo "$name $(tail -n 1 "$work/$index.out")" >"$work/$index.line"
  if grep -q "VIOLATION" "$work/$index.out"; then
    cp "$work/$index.out" "/tmp/cairn-soak-violation-$name-$seed.txt"
    local at
    at=$(grep -o "VIOLATION at seed [0-9]*" "$work/$index.out" | head -n 1 | grep -o "[0-9]*$")
    echo "soak: VIOLATION in $name at seed $at; replay: $sim $args --seeds 1 --seed $at --verbose" \
         "(output in /tmp/cairn-soak-violation-$name-$seed.txt)" >&2
  fi
}

index=0
running=()
while [ "$(date +%s)" -lt "$deadline" ]; do
  # Keep J chunks running.
  while [ ${#running[@]} -ge "$jobs" ]; do
    wait -n || true
    alive=()
    for pid in "${running[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    running=("${alive[@]}")
  done
  run_chunk "$index" &
  running+=($!)
  index=$((index + 1))
done
wait
elapsed=$(( $(date +%s) - start ))

cat "$work"/*.line | /usr/bin/python3 -c '
import json, re, sys
elapsed = int(sys.argv[1])
modes, total_seeds, total_violations = {}, 0, 0
for line in sys.stdin:
    name, _, rest = line.partition(" ")
    seeds = re.search(r"\bseeds=(\d+)", rest)
    violations = re.search(r"\bviolations=(\d+)", rest)
    wall = re.search(r"\bwall=([0-9.]+)s", rest)
    if not seeds or not violations:
        print(f"soak: a chunk of {name} printed no summary: {rest.strip()[:200]}", file=sys.stderr)
        total_violations += 1
        continue
    m = modes.setdefault(name, {"seeds": 0, "violations": 0, "cpu_s": 0.0})
    m["seeds"] += int(seeds.group(1))
    m["violations"] += int(violations.group(1))
    m["cpu_s"] += float(wall.group(1)) if wall else 0.0
    total_seeds += int(seeds.group(1))
    total_violations += int(violations.group(1))
for m in modes.values():
    m["seeds_per_core_s"] = round(m["seeds"] / m["cpu_s"], 1) if m["cpu_s"] else None
    m["cpu_s"] = round(m["cpu_s"])
print(json.dumps({"mode": "soak-sim", "seconds": elapsed, "seeds": total_seeds, "violations": total_violations,
                  "seeds_per_s": round(total_seeds / max(elapsed, 1), 1), "modes": modes}))
sys.exit(1 if total_violations else 0)
' "$elapsed"
