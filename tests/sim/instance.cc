#include "tests/sim/instance.h"

#include "crypto/domain.h"
#include "ledger/tx_check.h"

namespace cairn::sim {

std::vector<v1::Transaction> SharedPool::Candidates(size_t max, const std::set<Hash>& exclude) {
  std::vector<v1::Transaction> out;
  for (const SubmittedTx& submitted : submitted_) {
    if (out.size() >= max) break;
    if (submitted.visible_at_ms[instance_] > now_ms_) continue;
    const v1::Transaction& tx = submitted.tx;
    if (exclude.count(ledger::TransactionHash(ledger_.chain_id(), tx))) continue;
    v1::TxBody body;
    if (!body.ParseFromString(tx.body())) continue;
    auto nonce = ledger_.CommittedNonce(ledger::SenderOf(tx, body));
    if (nonce.ok() && *nonce >= body.nonce()) continue;  // committed
    out.push_back(tx);
  }
  return out;
}

}  // namespace cairn::sim
