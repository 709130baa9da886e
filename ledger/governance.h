// Validator-set governance, executed as part of a block (deterministic, rule 6).
//
// Admins propose a change (add, remove or update a validator) and vote on it; the
// proposer's own vote counts. A proposal with `admin_threshold` approvals is approved,
// one with as many rejections is rejected. Approved changes wait for the end of the
// next block whose height is a multiple of `epoch_length` (an epoch boundary): there
// they are applied in id order, each checked against the set the earlier ones left,
// and if any applied, that block is the last of its epoch and the next block belongs
// to epoch + 1 with the new set. So a change never takes effect inside a round, and
// every node that executes the chain knows the set of every height.
//
// Bounded: at most kMaxOpenProposals proposals are open at a time, and a proposal still
// pending `proposal_lifetime_ms` of block time after it was made closes as expired.
#pragma once

#include <vector>

#include "cairn/v1/genesis.pb.h"
#include "cairn/v1/governance.pb.h"
#include "cairn/v1/state.pb.h"
#include "cairn/v1/transaction.pb.h"
#include "crypto/bytes.h"
#include "crypto/verifier.h"

namespace cairn::ledger {

constexpr size_t kMaxOpenProposals = 32;
constexpr size_t kMaxValidatorNameLength = 64;
constexpr size_t kMaxValidatorAddressLength = 255;

struct GovernanceRules {
  uint32_t admin_threshold = 1;
  uint64_t epoch_length = 100;
  uint64_t proposal_lifetime_ms = 7 * 24 * 3600 * 1000ull;
};
GovernanceRules GovernanceRulesOf(const v1::Genesis& genesis);

// The state at height 0: epoch 0 with the genesis set, no proposals; when the genesis
// commits to closed proposals, the digest of none.
v1::GovernanceState GenesisGovernance(const v1::Genesis& genesis, const v1::ValidatorSet& validators);

// DomainHash(kGovernance, chain_id, deterministic serialization): BlockHeader.governance_hash.
Hash GovernanceHash(std::string_view chain_id, const v1::GovernanceState& state);

// GovernanceState.closed_digest after `closed`: DomainHash(kClosedProposals, chain_id,
// digest || the proposal's deterministic serialization). The auditor of a pruning node
// folds the proposal records it holds with this to the digest its head commits to.
Hash FoldClosedProposal(std::string_view chain_id, ByteView digest, const v1::ChangeProposal& closed);

// After a block's governance ran: on a chain that commits to closed proposals, stamps
// each proposal the block at `height` closed with that height and folds them into the
// state's digest, in the order of their ids (which `closed` is left in).
void CommitClosedProposals(std::string_view chain_id, uint64_t height, v1::GovernanceState& state,
                           std::vector<v1::ChangeProposal>& closed);

// The stateless checks of a change (field forms and lengths), for CheckTransaction.
Status CheckValidatorChange(const v1::ValidatorChange& change);
// Whether `change` can be applied to `set`: names, keys and addresses stay unique, the
// named validator exists, the set does not become empty.
Status FitsSet(const v1::ValidatorSet& set, const v1::ValidatorChange& change);

// The outcome of a governance operation; a failure uses the sender's nonce and changes
// nothing else.
struct GovernanceResult {
  v1::TxResult result = v1::TX_OK;
  std::string message;
};

// Where an operation executes: its block's height and timestamp (which every node that
// executes the block agrees on).
struct BlockPlace {
  uint64_t height = 0;
  uint64_t time_ms = 0;
};

// Executes one operation for `sender` (an account; only admins may) in the block `at`.
// Proposals it closes are appended to `closed`.
GovernanceResult ApplyPropose(v1::GovernanceState& state, const v1::Account& sender,
                              const v1::ProposeValidatorChange& op, BlockPlace at, const GovernanceRules& rules);
GovernanceResult ApplyVote(v1::GovernanceState& state, const v1::Account& sender, const v1::VoteValidatorChange& op,
                           const GovernanceRules& rules, std::vector<v1::ChangeProposal>& closed);

// After the block's transactions: closes the pending proposals whose lifetime ran out,
// and at an epoch boundary applies the approved changes (closing them too into
// `closed`). True when the epoch changed.
bool EndBlock(v1::GovernanceState& state, BlockPlace at, const GovernanceRules& rules,
              std::vector<v1::ChangeProposal>& closed);

// A validator's key rotation (no admin votes: both keys signed it). It becomes an
// approved update of the validator's key, keeping its link identity, at the next
// boundary.
GovernanceResult ApplyRotate(v1::GovernanceState& state, const v1::Account& sender, const v1::RotateValidatorKey& op,
                             BlockPlace at, std::string_view chain_id, crypto::SignatureVerifier& verifier);
// What both keys sign for a rotation in `epoch`.
Bytes KeyRotationMessage(std::string_view chain_id, const std::string& name, uint64_t epoch, ByteView new_public_key);
// The key a validator's peer links present (ValidatorInfo.network_key, else its key).
inline const std::string& LinkKeyOf(const v1::ValidatorInfo& v) {
  return v.network_key().empty() ? v.public_key() : v.network_key();
}

}  // namespace cairn::ledger
