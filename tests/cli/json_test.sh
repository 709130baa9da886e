#!/usr/bin/env bash
# Every `--json` output is one JSON document per line that parses, whatever its strings
# hold, and follows the CLI's one convention (README, "Machine-readable output"): a
# validator name with a quote, a backslash, a tab, a control character and non-ASCII
# goes through propose-validator, tx and validators and comes back byte for byte; keys
# and hashes are hex, heights and amounts numbers, an amount above 2^53 a decimal
# string, block times RFC 3339.
set -euo pipefail
cairn=$1
cairnd=$2
source "$(dirname "$0")/network.sh"

cat >"$dir/check.py" <<'PY'
# check.py LABEL [ASSERTION...]: stdin is lines of JSON; each must parse as an object.
# Each assertion is a Python expression over `d` (the last line) and `lines` (all).
import json, re, sys
label, assertions = sys.argv[1], sys.argv[2:]
text = sys.stdin.read()
lines = [json.loads(line) for line in text.splitlines() if line.strip()]
assert lines, f"{label}: no output"
assert all(isinstance(line, dict) for line in lines), f"{label}: not an object: {text}"
d = lines[-1]
hex_of = lambda s, n: isinstance(s, str) and re.fullmatch("[0-9a-f]{%d}" % n, s) is not None
for a in assertions:
    assert eval(a), f"{label}: {a} does not hold for {text}"
PY
check() { /usr/bin/python3 "$dir/check.py" "$@"; }
field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }

port=$((12000 + RANDOM % 20000))
# Two admin approvals: with one admin, a proposal stays open to be listed.
"$cairn" testnet --validators 1 --out "$dir/net" --base-port "$port" --admin-threshold 2 >/dev/null
"$cairnd" --config "$dir/net/node0/config.json" 2>"$dir/node0.log" &
pids+=($!)
export CAIRN_NODE=127.0.0.1:$((port + 1))
# Reads verify against the validators from this genesis file (trust store in $dir).
export CAIRN_TRUST_GENESIS=$dir/net/genesis.json CAIRN_TRUST_DIR=$dir/trust
for _ in $(seq 1 100); do
  "$cairn" status --json 2>/dev/null | check status 'd["height"] >= 1' 2>/dev/null && break
  sleep 0.1
done
admin_key="$dir/net/client.key"

"$cairn" status --json | check status 'type(d["height"]) is int' 'hex_of(d["head_hash"], 64)' 'hex_of(d["node_key"], 64)' \
  'd["version"] != ""' 'd["leader_standings"][0]["name"] == "node0"'
"$cairn" keygen --out "$dir/issuer.key" --json >"$dir/issuer.json"
check keygen 'hex_of(d["public_key"], 64)' 'hex_of(d["address"], 40)' <"$dir/issuer.json"
issuer=$(field public_key <"$dir/issuer.json")

# An issuer, and an amount a double cannot hold: it comes back as a decimal string.
"$cairn" create-account --key "$admin_key" --public-key "$issuer" --role issuer --wait --json |
  check create-account 'd["result"] == "TX_OK"' 'hex_of(d["tx_hash"], 64)' 'type(d["nonce"]) is int'
big=1152921504606846977  # 2^60 + 1
# An issuer registers its asset (cairn testnet's genesis keeps a registry) and mints it.
"$cairn" asset register --key "$dir/issuer.key" --name BIG --issuer "$issuer" --wait --json |
  check register 'd["result"] == "TX_OK"' 'd["nonce"] == 1'
"$cairn" asset show BIG --json | check asset 'd["registered"] is True' 'd["supply"] == 0' 'd["verified"] is True'
"$cairn" mint --key "$dir/issuer.key" --to "$issuer" --asset BIG --amount "$big" --wait --json |
  check mint 'd["result"] == "TX_OK"'
"$cairn" transfer --key "$dir/issuer.key" --to "$issuer" --asset BIG --amount 5 --json |
  check transfer 'hex_of(d["tx_hash"], 64)' 'd["nonce"] == 3'
sleep 1
"$cairn" account "$issuer" --json | check account 'd["balances"] == [{"asset": "BIG", "amount": "'"$big"'"}]' \
  'd["role"] == "issuer"' 'd["nonce"] == 3' 'd["proof_valid"] is True' 'hex_of(d["state_root"], 64)' \
  'd["verified"] is True' 'd["signers"] == 1 and d["validators"] == 1' 'hex_of(d["trust_root_hash"], 64)'

# The name travels to the chain and back in a receipt, a proposal and the open list.
name=$'x"y\\z\t\x01 caf\xc3\xa9 \xe2\x9c\x93'
printf '%s' "$name" >"$dir/name"
names_match='d["message"] == "no validator is named " + open(sys.argv[0].replace("check.py", "name"), encoding="utf-8").read()'
"$cairn" propose-validator --key "$admin_key" --remove "$name" --wait --json >"$dir/remove.json" || true
check propose-remove 'd["result"] == "TX_INVALID_GOVERNANCE"' "$names_match" <"$dir/remove.json"
"$cairn" tx "$(field tx_hash <"$dir/remove.json")" --json | check tx "$names_match" 'hex_of(d["block_hash"], 64)' \
  'd["inclusion_proof_valid"] is True' 'type(d["height"]) is int'

"$cairn" propose-validator --key "$admin_key" --add "$name" --public-key "$issuer" --address 127.0.0.1:9 --wait --json |
  check propose-add 'd["result"] == "TX_OK"'
name_is='open(sys.argv[0].replace("check.py", "name"), encoding="utf-8").read()'
"$cairn" validators --json | check validators 'len(d["open_proposals"]) == 1' \
  "d['open_proposals'][0]['change']['validator']['name'] == $name_is" \
  'hex_of(d["validators"]["validators"][0]["public_key"], 64)' 'type(d["first_height"]) is int'
"$cairn" validators --proposal 1 --json | check proposal "d['change']['validator']['name'] == $name_is" \
  'd["status"] == "PROPOSAL_PENDING"' 'hex_of(d["change"]["validator"]["public_key"], 64)'
"$cairn" vote --key "$admin_key" --proposal 1 --approve --wait --json >"$dir/vote.json" || true
check vote 'd["result"] != "TX_OK"' 'len(d["message"]) > 0' <"$dir/vote.json"
"$cairn" evidence --json | check evidence 'd["records"] == []'

"$cairn" block latest --json | check block 'type(d["height"]) is int' 'hex_of(d["hash"], 64)' 'hex_of(d["state_root"], 64)' \
  're.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", d["timestamp"])' '"timestamp_ms" not in d' \
  'd["verified"] is True and d["verified_height"] == d["height"]'
"$cairn" block latest --json --no-verify | check block-unverified 'd["verified"] is False' '"NOT VERIFIED" in d["warning"]'
timeout 3 "$cairn" watch --from 1 --json >"$dir/watch" || true
check watch 'len(lines) >= 2' '[b["height"] for b in lines] == list(range(1, len(lines) + 1))' <"$dir/watch"
echo "every --json output parsed and followed the convention"
