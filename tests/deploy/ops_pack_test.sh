#!/usr/bin/env bash
# The ops pack (scripts/deploy/), each piece checked: the systemd unit passes
# `systemd-analyze verify` with no complaint; the alert rules pass `promtool check rules`
# and their cases in `promtool test rules`; and every metric the Grafana dashboard and
# the rules query is one a live node exports.
set -euo pipefail
cairn=$1
cairnd=$2
deploy="$(cd "$(dirname "$0")/../../scripts/deploy" && pwd)"
source "$(dirname "$0")/../cli/network.sh"

# The unit as installed, with the binary where this build put it.
sed "s|/usr/local/bin/cairnd|$cairnd|" "$deploy/cairnd.service" >"$dir/cairnd.service"
if ! out=$(systemd-analyze verify "$dir/cairnd.service" 2>&1) || [ -n "$out" ]; then
  echo "systemd-analyze verify: $out"; exit 1
fi

promtool check rules "$deploy/prometheus/cairn-alerts.yml"
(cd "$deploy/prometheus" && promtool test rules cairn-alerts.test.yml)

port=$((12000 + RANDOM % 20000))
"$cairn" testnet --validators 1 --out "$dir/net" --base-port "$port" >/dev/null
"$cairnd" --config "$dir/net/node0/config.json" 2>"$dir/node0.log" &
pids+=($!)
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$((port + 2))/metrics" >"$dir/scrape" 2>/dev/null && grep -q '^cairn_commits_total [1-9]' "$dir/scrape" && break
  sleep 0.1
done
/usr/bin/python3 - "$dir/scrape" "$deploy/grafana/cairn-dashboard.json" "$deploy/prometheus/cairn-alerts.yml" <<'PY'
import json, re, sys
scrape, dashboard, rules = sys.argv[1:4]
# A family is exported once the node declares it (# TYPE), samples or not: a one-node
# network has no peer messages or leader failures to count yet.
lines = open(scrape).read().splitlines()
exported = {line.split("{")[0].split(" ")[0] for line in lines if line and not line.startswith("#")}
exported |= {line.split()[2] for line in lines if line.startswith("# TYPE ")}
name = re.compile(r"\b(?:cairn|process)_[a-z_]+\b")
queries = [t["expr"] for p in json.load(open(dashboard))["panels"] for t in p["targets"]]
queries += re.findall(r"expr: (.*)", open(rules).read())
used = {m for q in queries for m in name.findall(q)}
missing = sorted(used - exported)
assert not missing, f"queried but not exported by a live node: {missing}"
assert len(used) >= 25, f"only {len(used)} metrics queried"
print(f"{len(queries)} queries over {len(used)} metrics, all exported")
PY
echo "ops pack checked"
