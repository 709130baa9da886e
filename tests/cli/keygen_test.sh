#!/usr/bin/env bash
# `cairn keygen`: a 0600 PEM file holding a standard Ed25519 key whose public key is the
# one printed; --json output; refuses to overwrite; listed in --help.
set -euo pipefail
cairn=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

json=$("$cairn" keygen --out "$dir/a.key" --json)
public_key=$(/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d["address"]) == 40, d; print(d["public_key"])' "$json")
[ "$(stat -c %a "$dir/a.key")" = 600 ] || { echo "key file mode is $(stat -c %a "$dir/a.key")"; exit 1; }

# OpenSSL's own tool reads the key and derives the same public key (last 32 bytes of
# the DER SubjectPublicKeyInfo).
derived=$(openssl pkey -in "$dir/a.key" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
[ "$derived" = "$public_key" ] || { echo "openssl derives $derived, cairn printed $public_key"; exit 1; }

before=$(sha256sum < "$dir/a.key")
if "$cairn" keygen --out "$dir/a.key" 2>"$dir/err"; then echo "overwrote an existing key"; exit 1; fi
grep -q "exists" "$dir/err"
[ "$before" = "$(sha256sum < "$dir/a.key")" ]

if "$cairn" keygen 2>/dev/null; then echo "keygen without --out succeeded"; exit 1; fi
"$cairn" --help | grep -q '^  keygen'
echo "keygen test passed"
