#!/usr/bin/env bash
# The consensus core must stay pure (architecture): no sockets, threads, clocks, files
# or storage. Fails if consensus/ includes, or its library links, Asio, gRPC or LevelDB.
set -euo pipefail
src=$1
libs_file=$2
bad_includes=$(grep -rnE '#include *[<"](boost/asio|grpc|grpcpp|leveldb|thread|chrono|fstream|random)' "$src/consensus" || true)
if [ -n "$bad_includes" ]; then
  echo "consensus/ includes what it must not:"; echo "$bad_includes"; exit 1
fi
if grep -qiE 'asio|grpc|leveldb' "$libs_file"; then
  echo "cairn_consensus links: $(cat "$libs_file")"; exit 1
fi
echo "consensus is pure: links $(cat "$libs_file")"
