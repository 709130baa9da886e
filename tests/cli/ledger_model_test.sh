#!/usr/bin/env bash
# The business ledger model end to end with the CLI on a 4-validator network (README,
# "The ledger model"): two organisations register an asset each, mint it, and swap by
# delivery versus payment, one transaction both sign; the same batch with one signature
# missing is refused and moves nothing. Then records with their history, a 2-of-2
# account, an expired transaction, and the audit of every node.
set -euo pipefail
cairn=$1
cairnd=$2
source "$(dirname "$0")/network.sh"
field() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d[sys.argv[1]])' "$1"; }
balance() {  # ACCOUNT ASSET: the verified balance
  "$cairn" account "$1" --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["verified"], d
print(sum(b["amount"] for b in d["balances"] if b["asset"] == sys.argv[1]))' "$2"
}
fail() { echo "$*"; exit 1; }

create_network "$cairn"
start_network "$cairnd"
export CAIRN_NODE=127.0.0.1:$((port + 1))
export CAIRN_TRUST_DIR=$dir/trust CAIRN_TRUST_GENESIS=$dir/net/genesis.json
for _ in $(seq 1 60); do
  h=$("$cairn" status --json 2>/dev/null | field height 2>/dev/null || true)
  [ -n "$h" ] && [ "$h" -ge 1 ] && break
  sleep 1
done
admin=$dir/net/client.key

# Two organisations, each the issuer of its own asset.
acme=$("$cairn" keygen --out "$dir/acme.key" --json | field public_key)
bolt=$("$cairn" keygen --out "$dir/bolt.key" --json | field public_key)
for org in "$acme" "$bolt"; do "$cairn" create-account --key "$admin" --public-key "$org" --wait >/dev/null; done
"$cairn" asset register --key "$admin" --name USD --precision 2 --issuer "$acme" --wait >/dev/null
"$cairn" asset register --key "$admin" --name EUR --precision 2 --issuer "$bolt" --cap 1000000 --wait >/dev/null
"$cairn" mint --key "$dir/acme.key" --to "$acme" --asset USD --amount 10000 --wait >/dev/null
"$cairn" mint --key "$dir/bolt.key" --to "$bolt" --asset EUR --amount 5000 --wait >/dev/null
if "$cairn" mint --key "$dir/acme.key" --to "$acme" --asset EUR --amount 1 --wait >"$dir/out" 2>&1; then
  fail "acme minted bolt's asset"
fi
grep -q "TX_PERMISSION_DENIED: only the issuers of EUR mint and burn it" "$dir/out"
"$cairn" asset show EUR --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["verified"] and d["registered"] and d["supply"] == 5000 and d["supply_cap"] == 1000000, d'

# Delivery versus payment: acme pays 2500 USD for 2000 of bolt's EUR.
"$cairn" batch --key "$dir/acme.key" --out "$dir/dvp.tx" \
  --op "transfer to=$bolt asset=USD amount=2500" \
  --op "transfer from=$bolt to=$acme asset=EUR amount=2000" --memo "order 7781" >/dev/null
# With acme's signature alone it is refused, and nothing moves.
if "$cairn" submit --tx "$dir/dvp.tx" --wait >"$dir/out" 2>&1; then fail "a swap without bolt's signature was admitted"; fi
grep -q "FAILED_PRECONDITION: account .* needs 1 of its 1 signatories to sign, 0 did" "$dir/out"
[ "$(balance "$acme" USD)" = 10000 ] || fail "acme's USD moved"
# Bolt signs the same file; then it commits, both legs at once.
"$cairn" sign --key "$dir/bolt.key" --tx "$dir/dvp.tx" | grep -q "signed by 2 keys"
"$cairn" submit --tx "$dir/dvp.tx" --wait | grep -q ": TX_OK"
[ "$(balance "$acme" USD)" = 7500 ] && [ "$(balance "$acme" EUR)" = 2000 ] || fail "acme's side of the swap"
[ "$(balance "$bolt" USD)" = 2500 ] && [ "$(balance "$bolt" EUR)" = 3000 ] || fail "bolt's side of the swap"
# A second swap bolt cannot cover fails as a whole: acme keeps its USD.
"$cairn" batch --key "$dir/acme.key" --out "$dir/short.tx" \
  --op "transfer to=$bolt asset=USD amount=100" --op "transfer from=$bolt to=$acme asset=EUR amount=999999" >/dev/null
"$cairn" sign --key "$dir/bolt.key" --tx "$dir/short.tx" >/dev/null
if "$cairn" submit --tx "$dir/short.tx" --wait >"$dir/out" 2>&1; then fail "an uncovered swap succeeded"; fi
grep -q "TX_INSUFFICIENT_FUNDS: operation 2 (transfer)" "$dir/out"
[ "$(balance "$acme" USD)" = 7500 ] || fail "the first leg of a failed swap stayed"

# Records: acme notes the order, lets bolt write its records, bolt confirms.
"$cairn" record set --key "$dir/acme.key" --name orders/7781 --value shipped --wait >/dev/null
"$cairn" grant --key "$dir/acme.key" --permission write-records --grantee "$bolt" --wait >/dev/null
"$cairn" record set --key "$dir/bolt.key" --account "$acme" --name orders/7781 --value received --wait >/dev/null
"$cairn" record get --account "$acme" --name orders/7781 --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["verified"] and d["value"] == "received", d'
[ "$("$cairn" record history --account "$acme" --name orders/7781 --json |
  /usr/bin/python3 -c 'import json,sys; print(",".join(w["value"] for w in json.load(sys.stdin)["writes"]))')" = shipped,received ] ||
  fail "the record's history"

# A 2-of-2 account: one key no longer moves its funds, two do.
acme2=$("$cairn" keygen --out "$dir/acme2.key" --json | field public_key)
"$cairn" batch --key "$dir/acme.key" --op "add-signatory public-key=$acme2" --op "set-quorum quorum=2" --wait >/dev/null
"$cairn" signatories show "$acme" --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["quorum"] == 2 and len(d["signatories"]) == 2, d'
if "$cairn" transfer --key "$dir/acme.key" --to "$bolt" --asset USD --amount 1 --wait >"$dir/out" 2>&1; then
  fail "one key of a 2-of-2 account moved funds"
fi
grep -q "needs 2 of its 2 signatories to sign, 1 did" "$dir/out"
"$cairn" transfer --key "$dir/acme.key" --sender "$acme" --to "$bolt" --asset USD --amount 1 --out "$dir/pay.tx" >/dev/null
"$cairn" sign --key "$dir/acme2.key" --tx "$dir/pay.tx" >/dev/null
"$cairn" submit --tx "$dir/pay.tx" --wait | grep -q ": TX_OK"

# An expired transaction never enters a block.
"$cairn" transfer --key "$dir/bolt.key" --to "$acme" --asset EUR --amount 1 --expires-in 1 --out "$dir/late.tx" >/dev/null
sleep 4
if "$cairn" submit --tx "$dir/late.tx" >"$dir/out" 2>&1; then fail "an expired transaction was admitted"; fi
grep -q "expired at" "$dir/out"

stop_network
for i in 0 1 2 3; do
  "$cairn" audit --genesis "$dir/net/genesis.json" --data "$dir/net/node$i/data" | grep -q "audit passed" || fail "audit of node$i"
done
echo "ledger model test passed"
