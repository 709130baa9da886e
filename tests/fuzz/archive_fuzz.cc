// An archive file as anyone may hand an auditor or an operator (node/archive.h): checked
// against the test chain's genesis and, when it passes, imported into a fresh ledger. A
// damaged or forged archive must be refused with a reason naming where, never crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "node/archive.h"
#include "tests/fuzz/fuzz_chain.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  // The reader takes a file: each input is written to one of this process's own, and
  // removed after it.
  static const std::string path = "/tmp/cairn-fuzz-archive-" + std::to_string(getpid());
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr) return 0;
  const bool written = std::fwrite(data, 1, size, out) == size;
  std::fclose(out);
  if (written && node::VerifyArchive(fuzz::Chain().genesis(), path).ok()) {
    crypto::DirectVerifier verifier;
    auto ledger = fuzz::FreshLedger(&verifier);
    (void)node::ImportArchive(fuzz::Chain().genesis(), path, *ledger);
  }
  std::remove(path.c_str());  // nothing of it is left in /tmp when the fuzzer stops
  return 0;
}
