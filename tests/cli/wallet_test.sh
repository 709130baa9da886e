#!/usr/bin/env bash
# The `cairn` CLI end to end against a 4-validator network on 127.0.0.1: a new key gets
# an account and funds, transfers, reads its balance, transaction and blocks, watches
# the stream; then the nodes stop and `cairn audit` verifies every node's data.
set -euo pipefail
cairn=$1
cairnd=$2
source "$(dirname "$0")/network.sh"
json_field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }

create_network "$cairn"
start_network "$cairnd"
export CAIRN_NODE=127.0.0.1:$((port + 1))
for _ in $(seq 1 60); do
  h=$("$cairn" status --json 2>/dev/null | json_field height 2>/dev/null || true)
  [ -n "$h" ] && [ "$h" -ge 1 ] && break
  sleep 1
done
"$cairn" status --json | json_field chain_id | grep -qx cairn-devnet
# Reads are checked against the validators: with no trust root they fail and say how
# to give one; the first read from the genesis file writes the trust store the later
# reads use; --no-verify says that it checked nothing.
export CAIRN_TRUST_DIR=$dir/trust
if "$cairn" block latest 2>"$dir/err"; then echo "a read with nothing to trust passed"; exit 1; fi
grep -q "give --trust-genesis FILE" "$dir/err"
"$cairn" block latest --trust-genesis "$dir/net/genesis.json" | grep -q "verified: block [0-9]* of epoch 0 committed, [34] of 4 validators signed"
[ -f "$dir/trust/cairn-devnet.trust" ] || { echo "no trust store was written"; exit 1; }
"$cairn" block latest --no-verify | grep -q "NOT VERIFIED"

alice=$("$cairn" keygen --out "$dir/alice.key" --json | json_field public_key)
"$cairn" create-account --key "$dir/net/client.key" --public-key "$alice" --wait
"$cairn" transfer --key "$dir/net/client.key" --to "$alice" --amount 500 --wait
balance=$("$cairn" account "$alice" --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["proof_valid"] and d["verified"] and d["signers"] >= 3, d; print(d["balances"][0]["amount"])')
[ "$balance" = 500 ] || { echo "alice has $balance, not 500"; exit 1; }

# Alice pays the admin back through another node; the receipt and proof check out.
admin=$(openssl pkey -in "$dir/net/client.key" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
tx=$(CAIRN_NODE=127.0.0.1:$((port + 5)) "$cairn" transfer --key "$dir/alice.key" --to "$admin" --amount 200 --wait --json)
hash=$(echo "$tx" | json_field tx_hash)
"$cairn" tx "$hash" --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["state"] == "COMMITTED" and d["result"] == "TX_OK" and d["inclusion_proof_valid"], d'
# Proofs saved from the node check offline against the block they name, and not
# against another block or once altered.
block_hash=$("$cairn" tx "$hash" --json --proof "$dir/tx.proof" | json_field block_hash)
"$cairn" verify-proof --proof "$dir/tx.proof" --block-hash "$block_hash" | grep -q "proof valid"
"$cairn" verify-proof --proof "$dir/tx.proof" --trust-store "$dir/trust/cairn-devnet.trust" | grep -q "proof valid.* validators signed"
if "$cairn" verify-proof --proof "$dir/tx.proof" --block-hash "$(printf '0%.0s' $(seq 64))" 2>/dev/null; then
  echo "a proof passed against the wrong block"; exit 1
fi
height=$("$cairn" account "$alice" --json --proof "$dir/account.proof" | json_field height)
account_block=$("$cairn" block "$height" --json | json_field hash)
"$cairn" verify-proof --proof "$dir/account.proof" --block-hash "$account_block" --chain-id cairn-devnet | grep -q "proof valid"
/usr/bin/python3 - "$dir/account.proof" <<'PY'
import base64, json, sys
proof = json.load(open(sys.argv[1]))
raw = bytearray(base64.b64decode(proof["proof"]["account"]))
raw[-1] ^= 1  # one bit of the account's bytes
proof["proof"]["account"] = base64.b64encode(bytes(raw)).decode()
json.dump(proof, open(sys.argv[1], "w"))
PY
if "$cairn" verify-proof --proof "$dir/account.proof" 2>/dev/null; then echo "an altered account proof passed"; exit 1; fi

# Overspending commits with a failure receipt and a non-zero exit.
if "$cairn" transfer --key "$dir/alice.key" --to "$admin" --amount 100000 --wait 2>"$dir/err"; then
  echo "an overspend reported success"; exit 1
fi
"$cairn" block latest --json | json_field height >/dev/null
lines=$(timeout 5 "$cairn" watch --from 1 --json | wc -l || true)
[ "$lines" -ge 3 ] || { echo "watch printed $lines blocks"; exit 1; }
if "$cairn" account nothex 2>"$dir/err"; then echo "a bad address was accepted"; exit 1; fi
grep -q "neither an address" "$dir/err"
"$cairn" audit --genesis "$dir/net/genesis.json" --node "$CAIRN_NODE" | grep -q "audit passed"

# Governance: a change that does not fit the set is refused with its reason; one that
# fits is approved (threshold 1) and waits for the epoch boundary (height 100); a
# second vote on it is refused.
"$cairn" validators | grep -q "epoch 0 from height 1: 4 validators, quorum 3"
if "$cairn" propose-validator --key "$dir/net/client.key" --remove nobody --wait >"$dir/out" 2>&1; then
  echo "removing an unknown validator reported success"; exit 1
fi
grep -q "TX_INVALID_GOVERNANCE: no validator is named nobody" "$dir/out"
node3_address=$("$cairn" validators --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["validators"]["validators"][3]["address"])')
"$cairn" propose-validator --key "$dir/net/client.key" --update node3 --address "$node3_address" --wait | grep -q TX_OK
"$cairn" validators | grep -q "proposal 1: update node3 at $node3_address (PROPOSAL_APPROVED, 1 approvals"
"$cairn" validators --proposal 1 --json | grep -q '"status":"PROPOSAL_APPROVED"'
if "$cairn" vote --key "$dir/net/client.key" --proposal 1 --approve --wait >"$dir/out" 2>&1; then
  echo "a vote on an approved proposal reported success"; exit 1
fi
grep -q "already approved" "$dir/out"
if "$cairn" propose-validator --key "$dir/net/client.key" --add x --wait 2>"$dir/err"; then
  echo "an addition without a key was accepted"; exit 1
fi
grep -q "needs its key and address" "$dir/err"

# Stop the nodes; every node's data passes the audit.
stop_network
for i in 0 1 2 3; do
  "$cairn" audit --genesis "$dir/net/genesis.json" --data "$dir/net/node$i/data" | grep -q "audit passed"
done

# An export of node 0's chain in two pieces passes the audit with no node (the first
# replayed from genesis); a flipped byte is named; the pieces rebuild a node's history
# with the same head as node 0.
head=$("$cairn" export --data "$dir/net/node0/data" --from 1 --to 5 --out "$dir/part1.archive" >/dev/null &&
  "$cairn" export --data "$dir/net/node0/data" --from 6 --out "$dir/part2.archive" | sed -n 's/^exported blocks 6-\([0-9]*\) .*/\1/p')
[ -n "$head" ]
"$cairn" audit --genesis "$dir/net/genesis.json" --archive "$dir/part1.archive" | grep -q "replayed from genesis"
"$cairn" audit --genesis "$dir/net/genesis.json" --archive "$dir/part2.archive" | grep -q "NOT checked: execution"
cp "$dir/part2.archive" "$dir/flipped.archive"
/usr/bin/python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(300); b = f.read(1); f.seek(300); f.write(bytes([b[0] ^ 0x10]))' "$dir/flipped.archive"
if "$cairn" audit --genesis "$dir/net/genesis.json" --archive "$dir/flipped.archive" >"$dir/out"; then
  echo "a flipped byte in an archive passed its audit"; exit 1
fi
grep -q "archive audit FAILED: archive record" "$dir/out"
"$cairn" import --data "$dir/restored" --genesis "$dir/net/genesis.json" --archive "$dir/part1.archive" | grep -q "imported blocks 1-5"
"$cairn" import --data "$dir/restored" --genesis "$dir/net/genesis.json" --archive "$dir/part2.archive" | grep -q "the head is block $head"
"$cairn" audit --genesis "$dir/net/genesis.json" --data "$dir/restored" | grep -q "audit passed"
echo "wallet test passed"
