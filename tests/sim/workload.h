// The simulator's transactions: what users submit, one at a time, in turn. Mostly
// transfers; every fourth an atomic swap two users sign (two transfers and a record
// write, one nonce); and the last user a 2-of-2 account from its first transaction on
// (ledger/executor.h), so every instance executes batches, several signers and records,
// and agreement covers them.
#pragma once

#include <cstdint>
#include <vector>

#include "cairn/v1/transaction.pb.h"
#include "crypto/ed25519.h"
#include "ledger/ledger.h"
#include "tests/support/test_chain.h"

namespace cairn::sim {

class Workload {
 public:
  static constexpr int kUsers = 8;

  // `chain` (with kUsers users) must outlive the workload.
  explicit Workload(const test::TestChain& chain);

  // The next transaction, signed.
  v1::Transaction Next();

 private:
  const test::TestChain& chain_;
  const crypto::PrivateKey cosigner_;  // the 2-of-2 account's second key
  std::vector<uint64_t> next_nonce_;
  uint64_t sent_ = 0;
};

// The transactions of several signers that `ledger` committed with TX_OK: the
// workload's batches and 2-of-2 transfers do execute.
uint64_t CommittedMultiSigned(const ledger::Ledger& ledger);

}  // namespace cairn::sim
