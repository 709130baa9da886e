// What a ledger must hold after it stopped without warning (a SIGKILL in crash_test.cc,
// a power loss in power_loss_test.cc): checked against a reference ledger in memory that
// re-executes every block the reopened one holds.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "tests/support/test_chain.h"

namespace cairn::ledger::recovery {

constexpr int kUsers = 16;

inline test::TestChain& Chain() {
  static test::TestChain chain({.users = kUsers});
  return chain;
}

// Block h: every user sends 1 + h % 7 to the next user, with nonce h. The same height
// always gets the same transactions, so a test can tell what was committed.
inline google::protobuf::RepeatedPtrField<v1::Transaction> BlockTransactions(uint64_t height) {
  google::protobuf::RepeatedPtrField<v1::Transaction> txs;
  for (int i = 0; i < kUsers; ++i) {
    *txs.Add() = Chain().Transfer(Chain().user(i), height, Chain().user((i + 1) % kUsers), 1 + height % 7);
  }
  return txs;
}

// Re-executes on `reference` the blocks `reopened` holds above it, with their
// certificates, then checks that the two agree: head, state root, and every account read
// from the reopened store's on-disk state tree (a node a commit did not write would be
// missing) with a proof of its re-executed value.
inline void CatchUpAndCompare(const Ledger& reopened, Ledger& reference, const std::string& where) {
  for (uint64_t h = reference.height() + 1; h <= reopened.height(); ++h) {
    auto stored = reopened.GetBlock(h);
    ASSERT_TRUE(stored.ok()) << where << ", block " << h << ": " << stored.status().ToString();
    ASSERT_TRUE(stored->certificate.has_value()) << where << ", block " << h;
    auto executed = reference.Execute(stored->block);
    ASSERT_TRUE(executed.ok()) << where << ", block " << h << ": " << executed.status().ToString();
    ASSERT_TRUE(reference.Commit(*executed, *stored->certificate).ok()) << where << ", block " << h;
  }
  ASSERT_EQ(reference.state_root(), reopened.state_root()) << where;
  ASSERT_EQ(reference.head_hash(), reopened.head_hash()) << where;
  for (int i = 0; i < kUsers; ++i) {
    const Bytes address = test::TestChain::AddressOf(Chain().user(i));
    auto mine = reopened.GetAccount(address);
    ASSERT_TRUE(mine.ok()) << where << ": " << mine.status().ToString();
    ASSERT_EQ(mine->account_bytes, reference.GetAccount(address)->account_bytes) << where;
    ASSERT_TRUE(VerifyAccountProof(mine->state_root, address, mine->account_bytes, mine->proof)) << where;
  }
}

// What `ledger` says it retains is whole, checked against `reference` (which holds every
// block and version): every kept block has its body, every pruned one its header and
// certificate, every kept state version reads back, leaf by leaf, to the reference's root.
inline void CheckRetained(const Ledger& ledger, const Ledger& reference, const std::string& where) {
  const uint64_t head = ledger.height();
  ASSERT_LE(ledger.retained_from(), head) << where;
  for (uint64_t h = 1; h <= head; ++h) {
    auto block = ledger.GetBlock(h);
    if (h < ledger.retained_from()) {
      ASSERT_EQ(block.status().code(), StatusCode::kFailedPrecondition) << where << ", block " << h;
      auto header = ledger.GetBlockHeader(h);
      ASSERT_TRUE(header.ok()) << where << ", block " << h << ": " << header.status().ToString();
      ASSERT_TRUE(header->certificate.has_value()) << where << ", block " << h;
      ASSERT_EQ(header->hash, reference.CommittedBlockHash(h).value()) << where << ", block " << h;
    } else {
      ASSERT_TRUE(block.ok()) << where << ", block " << h << ": " << block.status().ToString();
      ASSERT_EQ(block->block.transactions_size(), kUsers) << where << ", block " << h;
    }
  }
  for (uint64_t v = ledger.oldest_state_version(); v <= head; ++v) {
    auto tree = ledger.StateAt(v);
    ASSERT_TRUE(tree.ok()) << where << ", version " << v << ": " << tree.status().ToString();
    ASSERT_EQ(tree->root(), reference.StateAt(v).value().root()) << where << ", version " << v;
    auto leaves = tree->Leaves(Hash{}, 1000);
    ASSERT_TRUE(leaves.ok()) << where << ", version " << v << ": " << leaves.status().ToString();
    ASSERT_EQ(leaves->size(), tree->size()) << where << ", version " << v;
  }
}

}  // namespace cairn::ledger::recovery
