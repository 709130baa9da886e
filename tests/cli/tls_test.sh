#!/usr/bin/env bash
# TLS on the client port: a node configured with a certificate and key serves gRPC over
# TLS; the CLI reaches it with --tls-ca, and a plaintext client is turned away.
set -euo pipefail
cairn=$1
cairnd=$2
source "$(dirname "$0")/network.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$dir/rpc.key" -out "$dir/rpc.pem" 2>/dev/null
create_network "$cairn"
/usr/bin/python3 - "$dir" <<'PY'
import json, sys
path = f"{sys.argv[1]}/net/node0/config.json"
config = json.load(open(path))
config["rpc_tls"] = {"cert_file": "../../rpc.pem", "key_file": "../../rpc.key"}
json.dump(config, open(path, "w"))
PY
start_network "$cairnd"
node=127.0.0.1:$((port + 1))
ok=0
for _ in $(seq 1 60); do
  if "$cairn" status --node "$node" --tls-ca "$dir/rpc.pem" >/dev/null 2>&1; then ok=1; break; fi
  sleep 0.5
done
[ "$ok" = 1 ] || { echo "no TLS answer from $node"; cat "$dir/net/node0/cairnd.log"; exit 1; }
"$cairn" status --node "$node" --tls-ca "$dir/rpc.pem" --json | grep -q '"chain_id":"cairn-devnet"'
if "$cairn" status --node "$node" 2>"$dir/err"; then echo "a plaintext client was served over the TLS port"; exit 1; fi
echo "tls test passed"
