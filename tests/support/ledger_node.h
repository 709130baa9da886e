// A ledger's reads served through the node's real gRPC services, called in process (no
// server, no network): what a light client's tests and benchmarks check answers of.
#pragma once

#include "crypto/check.h"
#include "node/epoch_chain.h"
#include "node/light_client.h"
#include "rpc/services.h"
#include "tests/support/test_chain.h"

namespace cairn::test {

class LedgerNode : public rpc::NodeApi {
 public:
  explicit LedgerNode(const ledger::Ledger& ledger) : ledger_(ledger) {}
  Result<Hash> Submit(const v1::Transaction&) override { return Status::Unavailable("read only"); }
  bool IsPending(const Hash&) const override { return false; }
  rpc::NodeStatus CurrentStatus() const override { return {}; }
  v1::GetConsensusStateResponse ConsensusState() const override { return {}; }
  const ledger::Ledger& ledger() const override { return ledger_; }
  bool WaitForHeightAbove(uint64_t, std::chrono::steady_clock::time_point) override { return false; }
  v1::EpochChangesResponse EpochChanges(uint64_t from_epoch) const override {
    return node::BuildEpochChanges(ledger_, from_epoch);
  }

  v1::GetAccountResponse Account(const crypto::PrivateKey& key) {
    v1::GetAccountRequest request;
    request.set_address(test::TestChain::AddressOf(key));
    v1::GetAccountResponse answer;
    CAIRN_CHECK(ledger_service_.GetAccount(nullptr, &request, &answer).ok());
    return answer;
  }
  v1::GetTransactionResponse Transaction(const Hash& hash) {
    v1::GetTransactionRequest request;
    request.set_tx_hash(ToBytes(hash));
    v1::GetTransactionResponse answer;
    CAIRN_CHECK(transactions_service_.GetTransaction(nullptr, &request, &answer).ok());
    return answer;
  }
  v1::GetBlockResponse Block(uint64_t height) {
    v1::GetBlockRequest request;
    request.set_height(height);
    v1::GetBlockResponse answer;
    CAIRN_CHECK(ledger_service_.GetBlock(nullptr, &request, &answer).ok());
    return answer;
  }
  node::EpochChangeFetcher Fetcher() {
    return [this](uint64_t from) -> Result<v1::EpochChangesResponse> { return EpochChanges(from); };
  }

 private:
  const ledger::Ledger& ledger_;
  rpc::LedgerService ledger_service_{*this, 1};
  rpc::TransactionsService transactions_service_{*this, 1, 1};
};

}  // namespace cairn::test
