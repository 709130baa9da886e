// State sync's target: the recent finalized block a joining node restores the state of.
// A peer offers its committed head (StateTargetResponse); the joining node accepts it
// only when the validator set it proved from genesis (epoch_chain.h) certified the
// block and proved it final, and the governance state that comes with it is the one
// the header commits to. Then the header's state root is what every chunk is checked
// against.
#pragma once

#include <string_view>
#include <vector>

#include "cairn/v1/p2p.pb.h"
#include "crypto/verifier.h"
#include "ledger/ledger.h"
#include "node/epoch_chain.h"

namespace cairn::node {

// The answer to a StateTargetRequest: `ledger`'s committed head with its certificates
// and the governance state after it.
v1::StateTargetResponse BuildStateTarget(const ledger::Ledger& ledger);

struct VerifiedTarget {
  v1::BlockHeader header;
  Hash hash{};
};

// Checks `target` against the newest proven epoch `current` (and the one before it,
// `previous`, null in epoch 0, for a target that is `current`'s root). UNAVAILABLE when
// the block needs an epoch change not proven yet (of a later epoch, or ending
// `current`: walk the epoch changes again first); FAILED_PRECONDITION for one too old
// (or genesis); INVALID_ARGUMENT naming the failed check for a lie.
Result<VerifiedTarget> VerifyStateTarget(std::string_view chain_id, const TrustedEpoch& current,
                                         const TrustedEpoch* previous, const v1::StateTargetResponse& target,
                                         crypto::SignatureVerifier& verifier);

// A block's parent certificate, which leader reputation reads (its round) and which
// neither the block's hash nor its header covers: for the parent the header names and
// signed by a quorum of `epoch` (the block's), or the epoch-start certificate when the
// parent is the epoch's root. INVALID_ARGUMENT naming the failed check.
Status CheckParentQc(std::string_view chain_id, const TrustedEpoch& epoch, const v1::Block& block,
                     const v1::BlockHeader& header, crypto::SignatureVerifier& verifier);

// The root block of `epoch` (the last block of `before`) as a base ledger holds it: the
// block whose hash `epoch`'s change proved, with its body and its parent certificate,
// certified by `before`'s set.
Status CheckEpochRoot(std::string_view chain_id, const TrustedEpoch& before, const TrustedEpoch& epoch,
                      const v1::CertifiedBlock& block, crypto::SignatureVerifier& verifier);

// The blocks just below a verified block of `epoch` whose parent hash is `parent_hash`,
// in height order (the ones leader reputation reads): each the parent of the next and
// the last that block's parent, with its body, certified by `epoch`'s set and carrying
// a valid parent certificate. INVALID_ARGUMENT naming the block and the check.
Status CheckChainBelow(std::string_view chain_id, const TrustedEpoch& epoch, std::string_view parent_hash,
                       const std::vector<v1::CertifiedBlock>& blocks, crypto::SignatureVerifier& verifier);

}  // namespace cairn::node
