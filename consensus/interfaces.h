// What the consensus core needs from outside and what it asks the outside to do.
//
// The core is a pure state machine (architecture, "The protocol"): inputs come in as
// calls (a message, a timer that fired, with the current time as a value), and outputs
// go out as a list of Actions that the driver carries out in order. The driver must
// finish a PersistSafety action (fsync) before it carries out the actions after it,
// which is how a vote or timeout never leaves before the state it implies is on disk.
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "cairn/v1/block.pb.h"
#include "cairn/v1/consensus.pb.h"
#include "cairn/v1/evidence.pb.h"
#include "crypto/bytes.h"

namespace cairn::consensus {

// Executing and building blocks: the ledger's speculative execution, declared here as
// the narrow interface consensus needs (implemented over ledger::Speculator).
class BlockEngine {
 public:
  virtual ~BlockEngine() = default;
  // Validates and executes `block` on its parent, which the core already holds.
  virtual Status Execute(const v1::Block& block) = 0;

  struct ProposalRequest {
    Hash parent_hash;
    v1::QuorumCertificate parent_qc;
    uint64_t round = 0;
    uint64_t epoch = 0;
    uint32_t proposer = 0;
    uint64_t timestamp_ms = 0;
    std::vector<uint32_t> failed_proposers;  // BlockHeader.failed_proposers
  };
  // Builds (and executes) a block on `parent_hash` with transactions of its choosing.
  virtual Result<v1::Block> Propose(const ProposalRequest& request) = 0;

  // A committed block by hash, to answer a peer's BlockRequest.
  virtual std::optional<v1::Block> FindCommitted(const Hash& block_hash) = 0;

  // Whether a block on `parent_hash` has a reason to exist now: transactions wait, or
  // the parent or grandparent carries transactions (their commit needs the next two
  // rounds to finish, and the certificate that commits them travels in a proposal).
  // A leader without work waits (ReplicaConfig::idle_proposal_delay_ms).
  virtual bool HasWork(const Hash& parent_hash) = 0;

  // Whether an executed block applies a validator-set change, which makes it the last
  // block of its epoch: blocks above it in the same epoch are empty and only help
  // commit it; the replica commits no further than it and then hands over to the next
  // epoch's replica.
  virtual bool EndsEpoch(const Hash& block_hash) = 0;
};

struct SendAction {
  uint32_t to;
  v1::ConsensusMessage message;
};
struct BroadcastAction {  // to every other validator
  v1::ConsensusMessage message;
};
struct PersistSafetyAction {
  v1::SafetyRecord record;
  // With a vote's record: the block it votes for. The driver stores it, synced, with
  // the record, and hands the stored blocks above its head back in
  // RecoveredState::voted_blocks after a restart. A certificate needs the votes of f + 1
  // honest validators; if they all restart and the block is on no other honest node,
  // nobody could extend the highest certificate again and the chain would stop for
  // good (found by the simulator: seed 1021268 of random n = 4).
  std::optional<v1::Block> voted_block;
};
struct CommitAction {  // commit these blocks, in order, each with its certificate
  std::vector<std::pair<v1::Block, v1::QuorumCertificate>> blocks;
  // The certificate that committed them: its commit_hash names the last block.
  v1::QuorumCertificate finality;
};
struct SetTimerAction {  // call OnTimer (or OnProposalTimer) after delay_ms
  uint64_t round;
  uint64_t delay_ms;
  // The round timer (one at a time; a new one replaces the last), or the idle
  // leader's wait before an empty proposal (independent of the round timer).
  enum class Kind { kRound, kProposal } kind = Kind::kRound;
};
// Sign this vote, timeout or proposal (its signature field empty) over `statement`, then
// hand it back with Replica::OnSigned, or report Replica::OnSignFailed. Only a replica
// whose key is outside it (ReplicaConfig::driver_signs: a token) asks, and always after
// the PersistSafetyAction that records what the message commits this validator to.
// Signed messages must come back in the order they were asked for: a vote asked for
// before a timeout of its round may not leave after it, which would be a vote after a
// timeout (the simulator's checker catches a driver that reorders them).
struct SignAction {
  v1::ConsensusMessage message;
  Bytes statement;
};
// Puts a SignAction's signature into its message.
inline void SetSignature(v1::ConsensusMessage* message, Bytes signature) {
  if (message->has_vote()) message->mutable_vote()->set_signature(std::move(signature));
  if (message->has_timeout()) message->mutable_timeout()->set_signature(std::move(signature));
  if (message->has_proposal()) message->mutable_proposal()->set_signature(std::move(signature));
}
struct EvidenceAction {  // a validator signed two conflicting messages: spread the proof
  v1::Evidence evidence;
};
using Action =
    std::variant<SendAction, BroadcastAction, PersistSafetyAction, CommitAction, SetTimerAction, EvidenceAction,
                 SignAction>;
using Actions = std::vector<Action>;

}  // namespace cairn::consensus
