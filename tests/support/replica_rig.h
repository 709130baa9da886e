// One replica of a TestChain validator over its own in-memory ledger at genesis, with
// an empty transaction source: for tests and tools that need real consensus messages
// (a proposal, a vote) without a network.
#pragma once

#include <memory>
#include <set>
#include <variant>
#include <vector>

#include "consensus/certificates.h"
#include "consensus/replica.h"
#include "ledger/genesis.h"
#include "ledger/kv_store.h"
#include "ledger/speculator.h"
#include "node/ledger_engine.h"
#include "tests/support/test_chain.h"

namespace cairn::test {

class NoTransactions : public node::TransactionSource {
 public:
  std::vector<v1::Transaction> Candidates(size_t, const std::set<Hash>&) override { return {}; }
  void LeftOut(const v1::Transaction&, const Status&) override {}
};

inline consensus::Context ContextOf(const TestChain& chain) {
  const auto genesis = ledger::BuildGenesisState(chain.genesis());
  return consensus::Context{chain.chain_id(), consensus::Committee::From(genesis.validators).value(), genesis.block_hash};
}

struct ReplicaRig {
  // `config.context` and `config.self` are filled in here; with `config.driver_signs` the
  // test signs (SignAction, Replica::OnSigned).
  // `recovered` as a restart hands it over: the safety record and the voted blocks.
  ReplicaRig(const TestChain& chain, uint32_t self, crypto::SignatureVerifier& verifier,
             consensus::LeaderElection& leaders, consensus::ReplicaConfig config = {},
             v1::SafetyRecord safety = {}, std::vector<v1::Block> voted_blocks = {})
      : ledger(ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain.genesis(), &verifier).value()),
        speculator(*ledger, 64),
        engine(*ledger, speculator, source, 100) {
    auto head = ledger->GetBlock(0).value();
    consensus::RecoveredState recovered{
        .head = {head.block, head.header, head.hash, HashFromBytes(head.header.parent_hash()).value()},
        .head_qc = ledger::GenesisCertificate(head.hash),
        .safety = std::move(safety),
        .voted_blocks = std::move(voted_blocks)};
    config.context = ContextOf(chain);
    config.self = self;
    const crypto::PrivateKey* key = config.driver_signs ? nullptr : &chain.validator(static_cast<int>(self));
    replica = std::make_unique<consensus::Replica>(config, key, engine, verifier, leaders, std::move(recovered));
  }
  std::unique_ptr<ledger::Ledger> ledger;
  ledger::Speculator speculator;
  NoTransactions source;
  node::LedgerEngine engine;
  std::unique_ptr<consensus::Replica> replica;
};

// A timeout of `round` by validator `sender` of `chain`, with the genesis certificate
// (of `ledger`, at genesis) as its highest.
inline v1::ConsensusMessage GenesisTimeout(const TestChain& chain, const ledger::Ledger& ledger, uint32_t sender,
                                           uint64_t round) {
  v1::Timeout timeout;
  timeout.set_epoch(0);
  timeout.set_round(round);
  *timeout.mutable_high_qc() = ledger::GenesisCertificate(ledger.GetBlock(0).value().hash);
  timeout.set_sender(sender);
  timeout.set_signature(chain.validator(static_cast<int>(sender)).Sign(consensus::TimeoutMessage(ContextOf(chain), round, 0)));
  v1::ConsensusMessage message;
  *message.mutable_timeout() = std::move(timeout);
  return message;
}

// The consensus messages among `actions` (broadcast or sent), in order.
inline std::vector<v1::ConsensusMessage> MessagesOf(const consensus::Actions& actions) {
  std::vector<v1::ConsensusMessage> messages;
  for (const auto& action : actions) {
    if (auto* b = std::get_if<consensus::BroadcastAction>(&action)) messages.push_back(b->message);
    if (auto* s = std::get_if<consensus::SendAction>(&action)) messages.push_back(s->message);
  }
  return messages;
}

}  // namespace cairn::test
