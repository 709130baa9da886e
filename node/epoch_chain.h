// The chain of validator sets, as a node that trusts only its genesis file checks it:
// each epoch change (the last block of an epoch, proven final by a certificate of that
// epoch's set, and the governance state its header commits to) proves the next set.
// State sync walks it to the current epoch before it trusts any block to restore from.
// Serving it (BuildEpochChanges) is a few reads per epoch from the ledger.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/v1/genesis.pb.h"
#include "cairn/v1/p2p.pb.h"
#include "crypto/verifier.h"
#include "ledger/ledger.h"

namespace cairn::node {

// The most changes an EpochChangesResponse holds (each is a header, a certificate and a
// governance state: about 1-3 KB at 4-16 validators).
inline constexpr size_t kMaxEpochChangesPerPage = 64;

// An epoch this node has proven: its set and its root block (the block its first block
// builds on).
struct TrustedEpoch {
  uint64_t epoch = 0;
  v1::ValidatorSet validators;
  uint64_t root_height = 0;
  Hash root_hash{};
  v1::GovernanceState governance;  // the state the epoch starts with
};

// Epoch 0, from the genesis file alone.
TrustedEpoch GenesisEpoch(const v1::Genesis& genesis);

// A block an operator or a user trusts by height and hash, "HEIGHT:HASH" as `cairn
// epochs` prints them: the genesis block (0:HASH) or the last block of an epoch.
struct Checkpoint {
  uint64_t height = 0;
  Hash hash{};
  std::string ToString() const;
};
Result<Checkpoint> ParseCheckpoint(std::string_view text);

// Whether the change from `before` to `next` (both proven) agrees with `checkpoint`: a
// chain whose epoch ending at its height has another hash, or whose epoch spans its
// height without ending there, is not the chain the checkpoint names. INVALID_ARGUMENT
// saying which.
Status CheckChangeAgainst(const Checkpoint& checkpoint, const TrustedEpoch& before, const TrustedEpoch& next);

// Whether `qc` is a certificate of a quorum of `epoch`'s set (not the epoch-start
// certificate, which has no signatures).
Status VerifyCertificateOf(std::string_view chain_id, const TrustedEpoch& epoch, const v1::QuorumCertificate& qc,
                           crypto::SignatureVerifier& verifier);

// Checks that `proof` moves `before` to the next epoch: the header is of `before`'s
// epoch and above its root, a quorum of `before`'s set certified a block whose
// commit_hash names the header's block (it is final), and the governance state hashes
// to the header's governance_hash and starts the next epoch. INVALID_ARGUMENT naming the
// failed check otherwise.
Result<TrustedEpoch> VerifyEpochChange(std::string_view chain_id, const TrustedEpoch& before,
                                       const v1::EpochChangeProof& proof, crypto::SignatureVerifier& verifier);

v1::EpochChangeProof ProofOf(const ledger::EpochChange& change);

// Epoch 0's root: the genesis block's header and the governance state it commits to,
// with no certificate (genesis is trusted, not proven). What a client that trusts the
// genesis block by its hash, not by its file, starts from (the explorer).
Result<v1::EpochChangeProof> GenesisRootOf(const ledger::Ledger& ledger);

// The answer to an EpochChangesRequest: the changes into `from_epoch` and on, up to the
// ledger's current epoch, at most kMaxEpochChangesPerPage (from epoch 0, the genesis
// root first).
v1::EpochChangesResponse BuildEpochChanges(const ledger::Ledger& ledger, uint64_t from_epoch);

}  // namespace cairn::node
