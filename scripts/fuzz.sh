#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (coverage, ASan, UBSan) into
# build-fuzz/ and runs each for a bounded time, starting from its seed corpus.
#   scripts/fuzz.sh [--seconds S] [TARGET...]    S seconds per target (default 60)
# Targets: frame transaction execute consensus sync_response state_chunk genesis_json config_json archive (default all).
# New inputs that add coverage go to build-fuzz/corpus/TARGET (copy the useful ones into
# tests/fuzz/corpus/TARGET); a crash stops the run, prints the fuzzer's report and
# leaves the input in build-fuzz/findings/TARGET/. One summary line per target.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    -h | --help) sed -n 2,8p "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all=(frame transaction execute consensus sync_response state_chunk genesis_json config_json archive)
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_FUZZ=ON >/dev/null
cmake --build build-fuzz -- $(printf 'fuzz_%s ' "${targets[@]}")

for t in "${targets[@]}"; do
  [ -d "tests/fuzz/corpus/$t" ] || { echo "fuzz.sh: no target $t (tests/fuzz/corpus/$t missing)" >&2; exit 2; }
  work=build-fuzz/corpus/$t
  findings=build-fuzz/findings/$t
  log=build-fuzz/logs/$t.log
  mkdir -p "$work" "$findings" build-fuzz/logs
  # The first corpus folder receives new inputs; the seeds are only read.
  if ! build-fuzz/bin/fuzz_$t -max_total_time="$seconds" -print_final_stats=1 -max_len=65536 -rss_limit_mb=2048 \
      -artifact_prefix="$findings/" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    echo "fuzz_$t: FAILED; the report:"
    grep -A40 -E "^==[0-9]+==ERROR|runtime error|deadly signal|Test unit written" "$log" | head -80
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  corpus=$(ls "$work" | wc -l)
  echo "fuzz_$t: $runs executions in $seconds s, no crash; $corpus new inputs kept in $work"
done
