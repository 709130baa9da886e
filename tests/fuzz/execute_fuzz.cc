// A transaction body a client could write, signed by the keys it names, then executed
// as a block would: every operation of the ledger model (ledger/executor.h), batches
// and several signers included. Input: one byte whose low four bits choose which of
// four users sign and whose fifth bit turns the asset registry on, then a TxBody.
// Besides not crashing, supply is conserved: with the registry, each asset's recorded
// supply equals the sum of its balances after the block, whatever the body did.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>

#include "crypto/verifier.h"
#include "ledger/executor.h"
#include "ledger/genesis.h"
#include "ledger/tx_check.h"
#include "tests/fuzz/fuzz_chain.h"
#include "tests/support/map_state.h"

namespace {

using namespace cairn;

// The fuzz chain's genesis accounts, and with the registry its asset defined.
test::MapState GenesisState(bool registry) {
  test::MapState state;
  v1::Genesis genesis = fuzz::Chain().genesis();
  for (const auto& a : genesis.accounts()) {
    v1::Account account;
    account.set_public_key(FromHex(a.public_key()).value());
    account.set_address(crypto::AddressOf(account.public_key()));
    account.set_role(a.role());
    for (const auto& b : a.balances()) *account.add_balances() = b;
    state.accounts[account.address()] = account;
  }
  if (registry) {
    v1::AssetDefinition asset;
    asset.set_name("CAIRN");
    asset.add_issuers(test::TestChain::AddressOf(fuzz::Chain().issuer()));
    for (const auto& [address, account] : state.accounts) {
      for (const auto& b : account.balances()) asset.set_supply(asset.supply() + b.amount());
    }
    state.assets["CAIRN"] = asset;
  }
  return state;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const test::TestChain& chain = fuzz::Chain();
  const bool registry = data[0] & 0x10;
  v1::TxBody body;
  if (!body.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  body.set_chain_id(chain.chain_id());
  std::vector<const crypto::PrivateKey*> keys;
  for (int i = 0; i < 4; ++i) {
    if (data[0] & (1 << i)) keys.push_back(&chain.user(i));
  }
  if (keys.empty()) keys.push_back(&chain.issuer());
  const v1::Transaction tx = keys.size() == 1 && body.sender().empty() ? ledger::SignTransaction(*keys[0], body)
                                                                      : ledger::SignTransaction(keys, body);
  crypto::DirectVerifier verifier;
  auto checked = ledger::CheckTransaction(tx, chain.chain_id(), verifier);
  if (!checked.ok()) return 0;
  test::MapState state = GenesisState(registry);
  ledger::GovernanceRules rules;
  const std::vector<ledger::CheckedTx> txs{std::move(*checked)};
  auto outcome = ledger::ExecuteTransactions(state, v1::GovernanceState(), {chain.chain_id(), rules, verifier, registry},
                                             {1, 1'000}, txs, ledger::InvalidTxPolicy::kDrop);
  if (!outcome.ok()) std::abort();  // the state is in memory: no read can fail
  state.Apply(outcome->changes);
  for (const auto& [name, asset] : state.assets) {
    uint64_t total = 0;
    for (const auto& [address, account] : state.accounts) total += ledger::BalanceOf(account, name);
    if (total != asset.supply()) std::abort();
  }
  return 0;
}
