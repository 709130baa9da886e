#!/usr/bin/env bash
# Setting up a real network (README, "A network of several organisations"): three
# organisations each run `cairn init` and `cairn keygen` on their own, send only public
# keys, and `cairn genesis` assembles the same file byte for byte whoever runs it; no
# private key is in it. The three nodes start from their own folders and commit, one of
# them with its gRPC port and log level from CAIRN_* variables (a flag over the
# environment over the file); a bad variable is an error that names it.
set -euo pipefail
cairn=$1
cairnd=$2
source "$(dirname "$0")/network.sh"

field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }
port=$((12000 + RANDOM % 20000))
orgs=(acme globex initech)
flags=()
admins=()
for i in 0 1 2; do
  org=${orgs[$i]}
  p=$((port + 10 * i))
  "$cairn" init --name "$org" --out "$dir/$org" --address "127.0.0.1:$p" --p2p "127.0.0.1:$p" --grpc "127.0.0.1:$((p + 1))" \
    --metrics "127.0.0.1:$((p + 2))" --http "127.0.0.1:$((p + 3))" --json >"$dir/$org.json"
  read -r -a flag <<<"$(field validator_flag <"$dir/$org.json")"
  flags+=("${flag[@]}")
  admins+=(--admin "$("$cairn" keygen --out "$dir/$org/admin.key" --json | field public_key)")
  [ "$(stat -c %a "$dir/$org/node.key")" = 600 ] || { echo "$org's node key is not 0600"; exit 1; }
done
if "$cairn" init --name acme --out "$dir/acme" 2>"$dir/err"; then echo "init replaced a key"; exit 1; fi
grep -q "never replaces a key" "$dir/err"

# Whoever assembles it, the same arguments give the same file and the same hash.
args=(--chain-id trade-net "${flags[@]}" "${admins[@]}" --admin-threshold 2 --genesis-time 2026-01-01T00:00:00Z)
"$cairn" genesis "${args[@]}" --out "$dir/genesis.json" --json >"$dir/genesis.out"
"$cairn" genesis "${args[@]}" --out "$dir/genesis-again.json" --json >"$dir/genesis-again.out"
cmp "$dir/genesis.json" "$dir/genesis-again.json"
[ "$(field genesis_hash <"$dir/genesis.out")" = "$(field genesis_hash <"$dir/genesis-again.out")" ]
[ "$(field genesis_time <"$dir/genesis.out")" = "2026-01-01T00:00:00.000Z" ]
if grep -qi "private" "$dir/genesis.json"; then echo "the genesis holds private key material"; exit 1; fi
for org in "${orgs[@]}"; do
  key_hex=$(openssl pkey -in "$dir/$org/node.key" -outform DER 2>/dev/null | tail -c 32 | od -An -tx1 | tr -d ' \n')
  if grep -q "$key_hex" "$dir/genesis.json"; then echo "$org's private key is in the genesis"; exit 1; fi
done
if "$cairn" genesis --chain-id x --validator "a=00@127.0.0.1:1" --out "$dir/bad.json" 2>"$dir/err"; then
  echo "a genesis with a bad key was written"; exit 1
fi
[ ! -e "$dir/bad.json" ]

for org in "${orgs[@]}"; do cp "$dir/genesis.json" "$dir/$org/genesis.json"; done
# A bad variable: an error that names it, nothing started.
if CAIRN_CONFIG="$dir/initech/config.json" CAIRN_MAX_SUBMITS_PER_SECOND=lots "$cairnd" 2>"$dir/err"; then
  echo "cairnd started with a bad variable"; exit 1
fi
grep -q "CAIRN_MAX_SUBMITS_PER_SECOND='lots'" "$dir/err"

"$cairnd" --config "$dir/acme/config.json" 2>"$dir/acme.log" &
pids+=($!)
"$cairnd" --config "$dir/globex/config.json" 2>"$dir/globex.log" &
pids+=($!)
# initech: its gRPC port from the environment, its log level from a flag over the
# environment; a misspelt variable is warned of.
env_grpc=127.0.0.1:$((port + 29))
CAIRN_GRPC_LISTEN=$env_grpc CAIRN_LOG_LEVEL=bogus CAIRN_GRCP_LISTEN=typo \
  "$cairnd" --config "$dir/initech/config.json" --log-level info 2>"$dir/initech.log" &
pids+=($!)

for _ in $(seq 1 150); do
  h=$("$cairn" status --node "127.0.0.1:$((port + 1))" --json 2>/dev/null | field height 2>/dev/null || true)
  [ "${h:-0}" -ge 2 ] && break
  sleep 0.2
done
[ "${h:-0}" -ge 2 ] || { echo "the three organisations' network did not commit"; tail -5 "$dir"/*.log; exit 1; }
"$cairn" validators --node "127.0.0.1:$((port + 1))" --json |
  /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert [v["name"] for v in d["validators"]["validators"]] == ["acme", "globex", "initech"] and d["governance"]["admin_threshold"] == 2, d'
"$cairn" status --node "$env_grpc" --json | field chain_id | grep -qx trade-net
if "$cairn" status --node "127.0.0.1:$((port + 21))" >/dev/null 2>&1; then echo "initech served gRPC on its file's port"; exit 1; fi
grep -q "CAIRN_GRCP_LISTEN is set but is no cairnd setting" "$dir/initech.log"
curl -sf "http://127.0.0.1:$((port + 2))/readyz" | grep -qx ready
echo "three organisations set up a network from public keys alone"
