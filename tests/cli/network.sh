# Sourced by the CLI tests: a temporary folder, the processes a test starts (stopped on
# exit, with the folder removed), and a local network on free-looking ports.
#   dir            the test's temporary folder
#   pids           processes to stop on exit
#   port           the network's base port (after create_network)
dir=$(mktemp -d)
pids=()
cleanup() {
  # A background job that is signalled before it has exec'd its program is still this
  # shell and may run this trap: only the shell that made the folder removes it.
  [ "$BASHPID" = "$$" ] || return 0
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

# create_network CAIRN: a 4-validator testnet in $dir/net on a random base port, below
# the ephemeral ports (32768 on) that outgoing connections take.
create_network() {
  port=$((12000 + RANDOM % 20000))
  "$1" testnet --validators 4 --out "$dir/net" --base-port "$port" >/dev/null
}

# start_network CAIRND: starts the 4 nodes of $dir/net, logs in nodeI/cairnd.log.
start_network() {
  for i in 0 1 2 3; do
    "$1" --config "$dir/net/node$i/config.json" 2>"$dir/net/node$i/cairnd.log" &
    pids+=($!)
  done
}

# stop_network: SIGTERM to everything started, and wait for it.
stop_network() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
