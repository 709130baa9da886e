// A genesis document as an operator writes it: JSON parsed into the schema (unknown
// fields are errors), then validated; a valid one is built into the genesis state.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ledger/genesis.h"
#include "ledger/json_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  v1::Genesis genesis;
  if (!ledger::ParseJson(std::string_view(reinterpret_cast<const char*>(data), size), &genesis).ok()) return 0;
  if (!ledger::ValidateGenesis(genesis).ok()) return 0;
  (void)ledger::BuildGenesisState(genesis);
  return 0;
}
