#!/usr/bin/env bash
# `cairn keygen --pkcs11` against another PKCS#11 client (opensc's pkcs11-tool), on a
# SoftHSM2 token store of its own: a key cairn makes is a standard Ed25519 key pair
# that pkcs11-tool lists with the public key cairn printed; a key pkcs11-tool makes is
# one cairn reads (--existing); a PIN file others can read, a wrong PIN and a label in
# use are refused with the reason. Then a one-validator devnet whose key is in a token
# (`cairn testnet --pkcs11-validators 1`) commits blocks signed by the token.
set -euo pipefail
cairn=$1
cairnd=$2
module=/usr/lib/softhsm/libsofthsm2.so
dir=$(mktemp -d /tmp/cairn-pkcs11-test.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
mkdir -p "$dir/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$dir" >"$dir/softhsm2.conf"
export SOFTHSM2_CONF=$dir/softhsm2.conf
softhsm2-util --init-token --free --label ops --so-pin 8642 --pin 1357 >/dev/null
printf '1357\n' >"$dir/pin"
chmod 600 "$dir/pin"
p11() { pkcs11-tool --module "$module" --token-label ops --login --pin 1357 "$@" 2>/dev/null; }
# The public key pkcs11-tool shows for the key labelled $1 (its EC_POINT, 04 20 + key).
opensc_public_key() {
  p11 --list-objects --type pubkey | awk -v label="$1" '
    /EC_POINT:/ { point = $2 } /label:/ { if ($2 == label) { print substr(point, 5); exit } }'
}

made=$("$cairn" keygen --pkcs11 --module "$module" --token ops --label by-cairn --id 0b --pin-file "$dir/pin" --json)
cairn_key=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["public_key"])' "$made")
[ "$(opensc_public_key by-cairn)" = "$cairn_key" ] || { echo "pkcs11-tool shows $(opensc_public_key by-cairn), cairn printed $cairn_key"; exit 1; }
p11 --list-objects --type privkey | grep -A6 "by-cairn" | grep -q "never extractable" ||
  { echo "cairn's private key is extractable"; exit 1; }

p11 --keypairgen --key-type EC:edwards25519 --label by-opensc --id 0c >/dev/null
read_back=$("$cairn" keygen --pkcs11 --module "$module" --token ops --label by-opensc --pin-file "$dir/pin" --existing --json)
[ "$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["public_key"])' "$read_back")" = "$(opensc_public_key by-opensc)" ] ||
  { echo "cairn reads another public key than pkcs11-tool made: $read_back"; exit 1; }

refused() {  # refused WHAT EXPECTED-IN-MESSAGE ARGS...
  local what=$1 expected=$2
  shift 2
  if "$cairn" keygen --pkcs11 --module "$module" --token ops "$@" 2>"$dir/err"; then echo "accepted $what"; exit 1; fi
  grep -q "$expected" "$dir/err" || { echo "$what: $(cat "$dir/err")"; exit 1; }
}
cp "$dir/pin" "$dir/open-pin"
chmod 644 "$dir/open-pin"
refused "a PIN file others can read" "chmod 600" --label x --pin-file "$dir/open-pin"
printf '0000\n' >"$dir/wrong-pin"
chmod 600 "$dir/wrong-pin"
refused "a wrong PIN" "CKR_PIN_INCORRECT" --label x --pin-file "$dir/wrong-pin"
refused "a label in use" "already has a key labelled 'by-cairn'" --label by-cairn --pin-file "$dir/pin"

# A devnet of one validator whose consensus key is in a token.
base_port=$((21000 + RANDOM % 4000))
"$cairn" testnet --validators 1 --out "$dir/net" --base-port "$base_port" --pkcs11-validators 1 >/dev/null
grep -q '"consensus_token"' "$dir/net/node0/config.json"
[ "$(stat -c %a "$dir/net/node0/token.pin")" = 600 ]
"$cairnd" --config "$dir/net/node0/config.json" >"$dir/node0.log" 2>&1 &
pid=$!
metrics="http://127.0.0.1:$((base_port + 2))/metrics"
for _ in $(seq 1 60); do
  height=$(curl -s --max-time 2 "$metrics" | awk '$1 == "cairn_committed_height" { print $2 }' || true)
  if [ -n "$height" ] && [ "$height" -ge 3 ]; then break; fi
  sleep 0.5
done
[ -n "$height" ] && [ "$height" -ge 3 ] || { echo "no blocks from the token validator:"; tail -5 "$dir/node0.log"; exit 1; }
signed=$(curl -s --max-time 2 "$metrics" | awk '$1 == "cairn_token_signatures_total" { print $2 }')
[ "${signed:-0}" -gt 0 ] || { echo "blocks committed, but not signed by the token"; exit 1; }
grep -q "token 'cairn-node0' holds consensus key" "$dir/node0.log"
echo "pkcs11 test passed: height $height, $signed signatures by the token"
