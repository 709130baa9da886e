#!/usr/bin/env bash
# cairnd refuses to start with one clear line and a non-zero exit: no --config, a
# missing file, an unknown field, a bad address, a busy port, a data dir in use by a
# running node, a data dir of another chain. `cairn testnet` refuses to overwrite a
# network.
set -euo pipefail
cairn=$1
cairnd=$2
source "$(dirname "$0")/network.sh"

# expect_failure NAME PATTERN COMMAND...: the command fails and stderr matches PATTERN.
expect_failure() {
  local name=$1 pattern=$2
  shift 2
  if timeout 20 "$@" >"$dir/out" 2>"$dir/err"; then echo "$name: succeeded"; exit 1; fi
  if ! grep -qE -e "$pattern" "$dir/err"; then echo "$name: stderr does not match '$pattern':"; cat "$dir/err"; exit 1; fi
  echo "ok: $name: $(grep -E -e "$pattern" "$dir/err" | head -1)"
}

port=$((12000 + RANDOM % 20000))  # below the ephemeral ports (32768 on)
"$cairn" testnet --validators 4 --out "$dir/a" --base-port "$port" >/dev/null
expect_failure "testnet into a used folder" "never overwrites" "$cairn" testnet --out "$dir/a"

expect_failure "no --config" "--config FILE is required" "$cairnd"
expect_failure "missing config" "config $dir/nope.json" "$cairnd" --config "$dir/nope.json"

sed 's/"log_level"/"log_levle"/' "$dir/a/node0/config.json" >"$dir/a/node0/typo.json"
expect_failure "unknown field" "log_levle" "$cairnd" --config "$dir/a/node0/typo.json"

sed 's/"p2p_listen": "127.0.0.1:[0-9]*"/"p2p_listen": "127.0.0.1"/' "$dir/a/node0/config.json" >"$dir/a/node0/addr.json"
expect_failure "bad address" "p2p_listen.*host:port" "$cairnd" --config "$dir/a/node0/addr.json"

# Busy port: something already listens on node 0's p2p port.
/usr/bin/python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(30)' "$port" &
pids+=($!)
sleep 0.5
expect_failure "busy port" "cannot listen for peers on 127.0.0.1:$port" "$cairnd" --config "$dir/a/node0/config.json"
kill -KILL "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true

# A second cairnd on a running node's data dir is refused before it can sign anything,
# and the running node's data is left alone.
"$cairnd" --config "$dir/a/node0/config.json" >"$dir/first.log" 2>&1 &
first=$!
for _ in $(seq 1 50); do [ -f "$dir/a/node0/data/CURRENT" ] && break; sleep 0.1; done
sleep 0.5
expect_failure "second node on one data dir" "in use by another process" "$cairnd" --config "$dir/a/node0/config.json"
kill -0 "$first"  # the first one still runs
ls "$dir/a/node0" | grep -q damaged && { echo "the running node's data was set aside"; exit 1; }
kill -TERM "$first"
wait "$first" || true

# A data dir that holds another chain: node 0 of chain b pointed at chain a's data (the
# node above made it).
"$cairn" testnet --validators 4 --out "$dir/b" --base-port $((port + 100)) --chain-id other-chain >/dev/null
sed "s|\"data_dir\": \"data\"|\"data_dir\": \"$dir/a/node0/data\"|" "$dir/b/node0/config.json" >"$dir/b/node0/wrong.json"
expect_failure "another chain's data dir" "other-chain|cairn-devnet" "$cairnd" --config "$dir/b/node0/wrong.json"
echo "cairnd error test passed"
