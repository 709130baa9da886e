#include "node/load/workload.h"

#include <thread>

#include "crypto/domain.h"
#include "ledger/tx_check.h"
#include "node/load/load_accounts.h"

namespace cairn::load {

namespace {

// Signs `count` transactions in rounds over the load accounts; `operation(j, body)`
// fills in the operation of the j-th.
template <typename Operation>
Workload SignRounds(const std::string& chain_id, const std::vector<uint64_t>& nonces, size_t count, unsigned threads,
                    const Operation& operation) {
  const uint32_t accounts = static_cast<uint32_t>(nonces.size());
  std::vector<crypto::PrivateKey> keys;
  for (uint32_t i = 0; i < accounts; ++i) keys.push_back(LoadAccountKey(i));
  Workload workload;
  workload.txs.resize(count);
  auto sign_range = [&](size_t begin, size_t end) {
    for (size_t j = begin; j < end; ++j) {
      const uint32_t account = static_cast<uint32_t>(j % accounts);
      v1::TxBody body;
      body.set_chain_id(chain_id);
      body.set_nonce(nonces[account] + j / accounts + 1);
      operation(j, account, &body);
      SignedTransfer& out = workload.txs[j];
      *out.request.mutable_transaction() = ledger::SignTransaction(keys[account], body);
      const v1::Transaction& tx = out.request.transaction();
      out.hash = ledger::TransactionHash(chain_id, tx);
      out.account = account;
    }
  };
  threads = std::max(1u, threads);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back(sign_range, count * t / threads, count * (t + 1) / threads);
  }
  for (std::thread& w : workers) w.join();
  workload.index.reserve(count);
  for (size_t j = 0; j < count; ++j) workload.index.emplace(workload.txs[j].hash, static_cast<uint32_t>(j));
  return workload;
}

}  // namespace

Workload SignTransfers(const std::string& chain_id, const std::vector<uint64_t>& nonces, size_t count, unsigned threads) {
  std::vector<Bytes> addresses;
  for (uint32_t i = 0; i < nonces.size(); ++i) addresses.push_back(crypto::AddressOf(LoadAccountKey(i).public_key().bytes()));
  return SignRounds(chain_id, nonces, count, threads, [&](size_t, uint32_t account, v1::TxBody* body) {
    v1::Transfer* transfer = body->mutable_transfer();
    transfer->set_to(addresses[(account + 1) % addresses.size()]);
    transfer->set_asset(kLoadAsset);
    transfer->set_amount(1);
  });
}

Workload SignAccountCreations(const std::string& chain_id, const std::vector<uint64_t>& nonces, uint64_t first,
                              size_t count, unsigned threads) {
  return SignRounds(chain_id, nonces, count, threads, [&](size_t j, uint32_t, v1::TxBody* body) {
    v1::CreateAccount* create = body->mutable_create_account();
    create->set_public_key(Bytes(CreatedAccountKey(first + j).public_key().bytes()));
    create->set_role(v1::ROLE_USER);
  });
}

}  // namespace cairn::load
