#!/usr/bin/env bash
# One version everywhere: `cairn --version`, `cairnd --version` and a running node's
# cairn_build_info metric name the project's version (CMakeLists.txt) and the same
# revision.
set -euo pipefail
cairn=$1
cairnd=$2
expected=$3
source "$(dirname "$0")/network.sh"

cli=$("$cairn" --version)
daemon=$("$cairnd" --version)
echo "cairn --version: $cli; cairnd --version: $daemon"
[[ "$cli" =~ ^cairn\ ([0-9.]+)\ \((.+)\)$ ]] || { echo "cairn --version: unexpected form"; exit 1; }
version=${BASH_REMATCH[1]} revision=${BASH_REMATCH[2]}
[ "$version" = "$expected" ] || { echo "cairn says $version, CMake $expected"; exit 1; }
[ "$daemon" = "cairnd $version ($revision)" ] || { echo "cairnd and cairn disagree"; exit 1; }

create_network "$cairn"
"$cairnd" --config "$dir/net/node0/config.json" 2>"$dir/node0.log" &
pids+=($!)
metrics=$(sed -n 's/.*"metrics_listen": "\([^"]*\)".*/\1/p' "$dir/net/node0/config.json")
line=""
for _ in $(seq 1 50); do
  line=$(curl -sf "http://$metrics/metrics" | grep '^cairn_build_info' || true)
  [ -n "$line" ] && break
  sleep 0.2
done
echo "scrape: $line"
[ "$line" = "cairn_build_info{version=\"$version\",revision=\"$revision\"} 1" ] || { echo "cairn_build_info does not match"; exit 1; }
echo "ok: one version, $version ($revision)"
