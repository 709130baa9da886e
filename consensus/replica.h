// One replica of the 2-chain BFT protocol: a pure state machine.
//
// Inputs: Start, OnMessage (from validator `from`), OnTimer (a round's timer fired). The
// current time comes in as a value and is used only for block timestamps and timer
// lengths, never for safety. Outputs: Actions (interfaces.h), carried out in order.
//
// Protocol state, with the papers' names:
//   current_round   the round this replica is in
//   high_qc         the highest quorum certificate it knows
//   last_round_tc   the timeout certificate that moved it into current_round, if any
//   safety          highest_voted_round, highest_qc_round (safety_rules.h)
//   tree            executed blocks above the committed head (block_tree.h)
//
// Round flow: the leader of round r (leader_election.h: elected by the chain its block
// extends) proposes a block extending high_qc; replicas vote for it (if the safety rules
// allow) and broadcast the vote; every replica forms the certificate, enters r + 1, and
// the leader of r + 1 (elected by the chain of the certified block) proposes. A replica whose round timer fires broadcasts
// a signed timeout with its high_qc; 2f+1 timeouts form a TC that moves everyone to
// r + 1. f+1 timeouts for a round make a replica time out too, so rounds end together.
// A replica missing a block asks the peer that referred to it, by hash.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "consensus/block_tree.h"
#include "consensus/certificates.h"
#include "consensus/collectors.h"
#include "consensus/equivocation_detector.h"
#include "consensus/interfaces.h"
#include "consensus/leader_election.h"
#include "consensus/safety_rules.h"
#include "crypto/ed25519.h"

namespace cairn::consensus {

struct ReplicaConfig {
  Context context;
  // This replica's index in the committee; nullopt for an observer, which follows the
  // chain but never votes, times out or proposes.
  std::optional<uint32_t> self;
  uint64_t base_timeout_ms = 1000;
  uint64_t max_timeout_ms = 60'000;
  size_t max_tree_blocks = 4096;
  // A leader with nothing to propose (BlockEngine::HasWork) waits this long, or until
  // OnTransactionsAvailable, before proposing an empty block, so that an idle chain
  // does not spin. 0 proposes at once. Must be well below base_timeout_ms.
  uint64_t idle_proposal_delay_ms = 0;
  // A leader proposes no sooner than this after its parent block's timestamp: under a
  // trickle of transactions the chain would otherwise make blocks as fast as the
  // validators can, each costing every one of them signatures and a synced write, and
  // the CPU that takes delays everything else. 0 does not pace. Must be well below
  // base_timeout_ms.
  uint64_t min_block_interval_ms = 0;
  // A replica does not vote for a block stamped more than this ahead of its own clock
  // (0: no bound). Block times never go back, so one validator with a clock far ahead
  // would otherwise carry every later block's time forward with it, and auditors and
  // clients read those times. Voting less never endangers safety: a leader with a bad
  // clock only loses its rounds, and a validator whose own clock is behind only stops
  // voting (counting as one of the f faulty).
  uint64_t max_future_timestamp_ms = 0;
  // Blocks waiting for a parent being fetched.
  size_t max_waiting_blocks = 512;
  // Messages for rounds further ahead of the current round are dropped unchecked.
  uint64_t round_window = 10'000;
  // This validator's key is outside the replica (a PKCS#11 token, which may take longer
  // than a round's work to sign): its votes, timeouts and proposals go out as
  // SignActions, and each is sent and acted on only when OnSigned brings it back.
  bool driver_signs = false;
};

// What a restarted replica recovers from its ledger and safety record.
struct RecoveredState {
  TreeBlock head;                    // the committed head block
  v1::QuorumCertificate head_qc;     // its certificate (the genesis certificate at height 0)
  v1::SafetyRecord safety;           // empty on first start
  // Leader election's records of the committed blocks of this epoch up to the head,
  // oldest first, at most LeaderElection::window_blocks() of them.
  std::vector<ChainRecord> history;
  // The blocks stored from PersistSafetyAction::voted_block, in any order. Those that
  // extend the head and are of its epoch go back into the tree at Start (executed
  // again); the rest are ignored.
  std::vector<v1::Block> voted_blocks;
};

class Replica {
 public:
  // `key` must be the key of `config.self` (null for an observer, or when
  // `config.driver_signs`). `engine`, `verifier` and `leaders` must outlive the replica;
  // `leaders` is this replica's alone.
  Replica(ReplicaConfig config, const crypto::PrivateKey* key, BlockEngine& engine,
          crypto::SignatureVerifier& verifier, LeaderElection& leaders, RecoveredState recovered);

  Actions Start(uint64_t now_ms);
  Actions OnMessage(uint32_t from, const v1::ConsensusMessage& message, uint64_t now_ms);
  Actions OnTimer(uint64_t round, uint64_t now_ms);
  // The idle leader's wait for `round` is over: propose, empty if need be.
  Actions OnProposalTimer(uint64_t round, uint64_t now_ms);
  // New transactions arrived: a leader waiting for work proposes now.
  Actions OnTransactionsAvailable(uint64_t now_ms);
  // A SignAction's message, now signed (the driver checked the signature against this
  // validator's key): it is sent and this replica acts on it as on its own message.
  Actions OnSigned(v1::ConsensusMessage message, uint64_t now_ms);
  // A SignAction's message could not be signed: this validator stays silent where it
  // would have sent it (a missing vote or timeout is a crash fault, which the protocol
  // tolerates; what the safety record holds stays recorded).
  Actions OnSignFailed(const v1::ConsensusMessage& message, uint64_t now_ms);

  uint64_t current_round() const { return current_round_; }
  // What an operator needs to see why a round does not end: who leads, whose votes and
  // timeouts for it this replica holds.
  // Leaders are those the chain of high_qc elects: `leader` for the current round,
  // `next_leader` for the round after it if the current one produces no block.
  struct RoundView {
    uint64_t round = 0;
    uint32_t leader = 0;
    uint32_t next_leader = 0;
    uint64_t high_qc_round = 0;
    uint64_t last_tc_round = 0;
    std::vector<uint32_t> voted;
    std::vector<uint32_t> timed_out;
    size_t quorum = 0;
    // The leaders of this round and the next ones (as many as there are validators, at
    // least `leader` and `next_leader`), if no new block is certified meanwhile; and
    // each validator's standing.
    std::vector<uint32_t> upcoming_leaders;
    std::vector<LeaderStanding> standings;
  };
  RoundView View() const;
  const v1::QuorumCertificate& high_qc() const { return high_qc_; }
  // The chain high_qc's block ends (leader election's input for the next rounds); its
  // records are valid until the next input. Empty records when that block is missing.
  ChainView HighQcChain() const;
  // Leader election on the chain that ends at `parent`: who leads `round` there, and the
  // failed_proposers a block of `round` on it carries. Nothing when `parent` is not in
  // the tree or `round` is not above its round.
  struct Election {
    uint32_t leader = 0;
    std::vector<uint32_t> failed_proposers;
  };
  std::optional<Election> ElectionOn(const Hash& parent, uint64_t round) const;
  uint64_t committed_height() const { return tree_.root().header.height(); }
  const v1::SafetyRecord& safety_record() const { return safety_.record(); }
  // Messages dropped because they failed a check, and the last reason.
  uint64_t rejected_messages() const { return rejected_messages_; }
  const Status& last_rejection() const { return last_rejection_; }
  uint64_t equivocations_reported() const { return equivocations_.reported(); }

#ifdef CAIRN_SIM_BREAKS
  void TEST_BreakSafetyRule(SafetyRules::Rule rule) {
    safety_.TEST_Break(rule);
    tree_.TEST_Break(rule);
  }
#endif

 private:
  struct Waiting {
    v1::Block block;
    std::optional<v1::TimeoutCertificate> tc;  // set for a proposal entered through a TC
    bool is_proposal = false;
    uint32_t from = 0;
  };

  // Each input runs with `out_` collecting its actions.
  Actions Run(uint64_t now_ms, const std::function<void()>& body);
  void Reject(Status status);

  // Checks (sanitize) and handling (process) of each message kind.
  Status CheckProposal(const v1::Proposal& proposal, v1::BlockHeader* header);
  void ProcessProposal(uint32_t from, const v1::Proposal& proposal);
  Status CheckVote(const v1::Vote& vote);
  void ProcessVote(const v1::Vote& vote);
  Status CheckTimeout(const v1::Timeout& timeout);
  void ProcessTimeout(uint32_t from, const v1::Timeout& timeout);
  void ProcessBlockRequest(uint32_t from, const v1::BlockRequest& request);
  void ProcessBlockResponse(uint32_t from, const v1::BlockResponse& response);

  // Certificates, rounds, blocks.
  void ProcessQc(const v1::QuorumCertificate& qc, uint32_t from);
  void ProcessTc(const v1::TimeoutCertificate& tc);
  void AdvanceRound(uint64_t round);
  void CommitFrom(const v1::QuorumCertificate& qc);
  void HandleBlock(Waiting item);
  void RequestBlock(const Hash& hash, uint32_t from);
  size_t WaitingProposalsBy(uint32_t proposer) const;

  // This replica's own messages.
  void MaybePropose();
  void MaybeVote(const TreeBlock& block, const v1::TimeoutCertificate* tc);
  void LocalTimeout();
  // Signs `message` over `statement` with the key, or asks the driver (driver_signs);
  // SendOwn follows once it is signed.
  void Sign(v1::ConsensusMessage message, Bytes statement);
  // Sends a signed message of this replica's and acts on it as a peer's would be.
  void SendOwn(v1::ConsensusMessage message);
  // Takes `message` off awaiting_signature_; false if it was not there.
  bool TakeAwaited(const v1::ConsensusMessage& message);
  // The block a vote names as committed when its certificate finalises `finalised`.
  Bytes LastToCommit(const std::string& finalised);
  bool EndsThisEpoch(const TreeBlock& block);
  // Emits the safety record, with the block of a vote not yet stored (unstored_vote_).
  void Persist();
  // Puts RecoveredState::voted_blocks back into the tree (Start).
  void RestoreVotedBlocks();
  // Leader election's view of the chain that ends at `tip` (a block in the tree).
  ChainView ChainAt(const Hash& tip) const;
  // A proposal's proposer and failed_proposers are those its parent's chain elects.
  Status CheckLeader(const v1::BlockHeader& header, const Hash& parent_hash);
  void RecordCommitted(const std::vector<CommittedBlock>& committed);
  uint64_t RoundTimeoutMs() const;
  const v1::TimeoutCertificate* TcForCurrentRound() const;

  const ReplicaConfig config_;
  const crypto::PrivateKey* const key_;
  BlockEngine& engine_;
  crypto::SignatureVerifier& verifier_;
  LeaderElection& leaders_;

  uint64_t current_round_ = 1;
  v1::QuorumCertificate high_qc_;
  uint32_t high_qc_from_ = 0;  // who sent it: the peer to ask for its block
  std::optional<v1::TimeoutCertificate> last_round_tc_;
  uint32_t consecutive_timeouts_ = 0;
  uint64_t idle_wait_round_ = 0;  // the round whose idle wait is running or over
  bool idle_wait_over_ = false;
  uint64_t pace_wait_round_ = 0;  // the round whose pacing wait is running or over
  bool pace_wait_over_ = false;
  std::optional<v1::Timeout> my_timeout_;  // signed for current_round_, re-sent on each timer
  // The block of the vote just recorded, until a PersistSafetyAction carries it.
  std::optional<Hash> unstored_vote_;
  // Messages handed to the driver to sign (driver_signs), by kind and round: at most one
  // of each kind a round, as the safety rules allow; bounded, so a signer that never
  // answers only silences this validator.
  struct Awaited {
    v1::ConsensusMessage::KindCase kind;
    uint64_t round = 0;
  };
  std::vector<Awaited> awaiting_signature_;
  SafetyRules safety_;
  BlockTree tree_;
  VoteCollector votes_;
  TimeoutCollector timeouts_;
  EquivocationDetector equivocations_;
  std::map<Hash, std::vector<Waiting>> waiting_for_parent_;
  size_t waiting_count_ = 0;
  struct BlockRequested {
    uint64_t at_ms = 0;
    uint32_t peer = 0;  // who was asked
  };
  std::map<Hash, BlockRequested> requested_;  // outstanding block requests
  // Leader election's records: of the tree's blocks above the root, and of committed
  // blocks of this epoch up to the root (oldest first, at most window_blocks()).
  std::map<Hash, ChainRecord> tree_records_;
  std::deque<ChainRecord> history_;
  std::vector<v1::Block> voted_blocks_;  // from RecoveredState, until Start

  Actions* out_ = nullptr;
  uint64_t now_ms_ = 0;
  uint64_t rejected_messages_ = 0;
  Status last_rejection_;
};

}  // namespace cairn::consensus
