#!/usr/bin/env bash
# TLS on the client ports: a node configured with a certificate and key serves gRPC and
# the HTTP/JSON API over TLS with it; the CLI reaches it with --tls-ca, curl with
# --cacert, and plaintext clients are turned away on both.
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
http=127.0.0.1:$((port + 3))  # node 0's HTTP port
curl -sS --cacert "$dir/rpc.pem" -X POST "https://$http/cairn.v1.Node/GetStatus" | grep -q '"chainId":"cairn-devnet"'
if curl -sS -X POST "http://$http/cairn.v1.Node/GetStatus" -o /dev/null 2>/dev/null; then
  echo "a plaintext HTTP client was served over the TLS port"; exit 1
fi
echo "tls test passed"
