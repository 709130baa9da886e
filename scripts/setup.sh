#!/usr/bin/env bash
# Installs every Debian package Cairn needs to build, test and benchmark.
# Idempotent: when everything is present it only checks and exits in about a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git openssl curl procps util-linux
  libboost-dev libboost-program-options-dev libboost-system-dev
  libssl-dev libsodium-dev
  libleveldb-dev libsnappy-dev libjemalloc-dev
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
  nlohmann-json3-dev
  prometheus systemd
  chromium fonts-dejavu-core
  nghttp2-client iproute2
  softhsm2 opensc libp11-kit-dev
  python3-grpcio python3-protobuf python3-cryptography python3-venv python3-pip python3-setuptools
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
