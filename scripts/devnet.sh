#!/usr/bin/env bash
# A local Cairn network of 4 validators on 127.0.0.1, in one command.
#   scripts/devnet.sh [start]   install and build if needed, create the network under
#                               devnet/ (once), start it, wait until blocks commit
#   scripts/devnet.sh status    each node's process and committed height
#   scripts/devnet.sh stop      stop every node (SIGTERM, then SIGKILL after 10 s)
# CAIRN_DEVNET_DIR (default devnet/) and CAIRN_DEVNET_PORT (default 26600) move it;
# CAIRN_DEVNET_VALIDATORS (default 4), CAIRN_DEVNET_LOAD_ACCOUNTS (default 0),
# CAIRN_DEVNET_LOAD_ADMINS (1: they are admins; see `cairn testnet --help`) and
# CAIRN_DEVNET_MIN_BLOCK_INTERVAL_MS (default: genesis's) shape a new one
# (scripts/bench.sh uses them); CAIRN_DEVNET_PKCS11_VALIDATORS=K puts the first K
# validators' consensus keys in SoftHSM2 tokens, in a token store of the network's own
# beside it (DIR.tokens/, whose softhsm2.conf the nodes are started with); CAIRN_BIN
# (default build/bin) is where cairn and cairnd are.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${CAIRN_DEVNET_DIR:-$root/devnet}
base_port=${CAIRN_DEVNET_PORT:-26600}
validators=${CAIRN_DEVNET_VALIDATORS:-4}
load_accounts=${CAIRN_DEVNET_LOAD_ACCOUNTS:-0}
load_admins=()
if [ "${CAIRN_DEVNET_LOAD_ADMINS:-0}" = 1 ]; then load_admins=(--load-admins); fi
pacing=()
if [ -n "${CAIRN_DEVNET_MIN_BLOCK_INTERVAL_MS:-}" ]; then pacing=(--min-block-interval-ms "$CAIRN_DEVNET_MIN_BLOCK_INTERVAL_MS"); fi
bin=${CAIRN_BIN:-$root/build/bin}
pkcs11_validators=${CAIRN_DEVNET_PKCS11_VALIDATORS:-0}
tokens=()
if [ "$pkcs11_validators" -gt 0 ] || [ -f "$dir.tokens/softhsm2.conf" ]; then
  export SOFTHSM2_CONF=$dir.tokens/softhsm2.conf
  tokens=(--pkcs11-validators "$pkcs11_validators")
fi

metrics_port() { echo $((base_port + 4 * $1 + 2)); }
pid_of() { [ -f "$dir/node$1/cairnd.pid" ] && cat "$dir/node$1/cairnd.pid" || true; }
alive() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
height() {
  curl -s --max-time 2 "http://127.0.0.1:$(metrics_port "$1")/metrics" 2>/dev/null |
    awk '$1 == "cairn_committed_height" { print $2 }' || true
}

start() {
  if [ ! -x "$bin/cairnd" ] || [ ! -x "$bin/cairn" ]; then
    "$root/scripts/setup.sh"
    "$root/scripts/build.sh" cairnd cairn
  fi
  if [ ! -f "$dir/genesis.json" ]; then
    if [ "$pkcs11_validators" -gt 0 ]; then
      mkdir -p "$dir.tokens/store"
      printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$dir.tokens/store" >"$SOFTHSM2_CONF"
    fi
    "$bin/cairn" testnet --validators "$validators" --out "$dir" --base-port "$base_port" \
      --load-accounts "$load_accounts" "${load_admins[@]}" "${pacing[@]}" "${tokens[@]}" >/dev/null
    echo "devnet: created a $validators-validator network in $dir"
  fi
  for i in $(seq 0 $((validators - 1))); do
    if alive "$i"; then continue; fi
    nohup "$bin/cairnd" --config "$dir/node$i/config.json" >>"$dir/node$i/cairnd.log" 2>&1 &
    echo $! >"$dir/node$i/cairnd.pid"
  done
  # Blocks commit about once a second when idle: wait for two.
  for _ in $(seq 1 60); do
    h=$(height 0)
    if [ -n "$h" ] && [ "$h" -ge 2 ]; then
      status
      cat <<USAGE

devnet is up: $validators validators committing on 127.0.0.1.
  status:   scripts/devnet.sh status
  stop:     scripts/devnet.sh stop
  logs:     $dir/nodeI/cairnd.log
  metrics:  http://127.0.0.1:$(metrics_port 0)/metrics (node I: port $base_port + 4I + 2)
  client:   $dir/client.key is an admin account funded with CAIRN in genesis
USAGE
      return 0
    fi
    sleep 1
  done
  echo "devnet: no block committed within 60 s; the last log lines:" >&2
  for i in $(seq 0 $((validators - 1))); do tail -n 5 "$dir/node$i/cairnd.log" >&2 || true; done
  return 1
}

status() {
  for i in $(seq 0 $((validators - 1))); do
    if alive "$i"; then
      echo "node$i: running (pid $(pid_of "$i")), height $(height "$i")"
    else
      echo "node$i: stopped"
    fi
  done
}

stop() {
  for i in $(seq 0 $((validators - 1))); do
    if alive "$i"; then kill -TERM "$(pid_of "$i")"; fi
  done
  for _ in $(seq 1 100); do
    any=0
    for i in $(seq 0 $((validators - 1))); do if alive "$i"; then any=1; fi; done
    [ "$any" -eq 0 ] && break
    sleep 0.1
  done
  for i in $(seq 0 $((validators - 1))); do
    if alive "$i"; then kill -KILL "$(pid_of "$i")"; fi
    rm -f "$dir/node$i/cairnd.pid"
  done
  echo "devnet: stopped"
}

case "${1:-start}" in
  start) start ;;
  status) status ;;
  stop) stop ;;
  *) echo "usage: scripts/devnet.sh [start|status|stop]" >&2; exit 2 ;;
esac
