#include "tests/sim/workload.h"

#include <string>

#include "ledger/tx_check.h"

namespace cairn::sim {

Workload::Workload(const test::TestChain& chain)
    : chain_(chain), cosigner_(test::KeyFromLabel("sim-cosigner")), next_nonce_(kUsers, 1) {}

v1::Transaction Workload::Next() {
  const uint64_t n = sent_++;
  const int user = static_cast<int>(n % kUsers);
  const int other = (user + 1) % kUsers;
  const uint64_t nonce = next_nonce_[user]++;
  const int multisig = kUsers - 1;
  auto transfer = [&](int from, int to) {
    v1::Operation op;
    if (from != user) op.set_account(test::TestChain::AddressOf(chain_.user(from)));
    op.mutable_transfer()->set_to(test::TestChain::AddressOf(chain_.user(to)));
    op.mutable_transfer()->set_asset("CAIRN");
    op.mutable_transfer()->set_amount(1);
    return op;
  };
  v1::TxBody body;
  body.set_chain_id(chain_.chain_id());
  body.set_nonce(nonce);
  body.set_sender(test::TestChain::AddressOf(chain_.user(user)));
  std::vector<const crypto::PrivateKey*> keys{&chain_.user(user)};
  if (user == multisig && nonce == 1) {
    body.add_operations()->mutable_add_signatory()->set_public_key(Bytes(cosigner_.public_key().bytes()));
    body.add_operations()->mutable_set_quorum()->set_quorum(2);
  } else if (n % 4 == 3 && other != multisig) {  // (its signatories change at a time no swap can order against)
    *body.add_operations() = transfer(user, other);
    *body.add_operations() = transfer(other, user);
    v1::Operation* record = body.add_operations();
    record->mutable_set_record()->set_key("sim/swaps");
    record->mutable_set_record()->set_value(std::to_string(n));
    keys.push_back(&chain_.user(other));
  } else {
    *body.add_operations() = transfer(user, other);
  }
  if (user == multisig && nonce > 1) keys.push_back(&cosigner_);
  return ledger::SignTransaction(keys, body);
}

uint64_t CommittedMultiSigned(const ledger::Ledger& ledger) {
  uint64_t count = 0;
  for (uint64_t h = 1; h <= ledger.height(); ++h) {
    auto block = ledger.GetBlock(h);
    if (!block.ok()) continue;
    for (const v1::Transaction& tx : block->block.transactions()) {
      if (tx.signatures_size() < 2) continue;
      auto stored = ledger.GetTransaction(ledger::TransactionHash(ledger.chain_id(), tx));
      if (stored.ok() && stored->receipt.result() == v1::TX_OK) ++count;
    }
  }
  return count;
}

}  // namespace cairn::sim
