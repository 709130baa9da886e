// Equivocation evidence: two conflicting messages one validator signed for one round.
// Checked by every node that executes a block carrying it (deterministic: signatures
// and the validator set of the evidence's epoch only), recorded at commit.
//
// Bounded: at most kMaxEvidencePerBlock per block; only evidence of the current epoch
// or the one before; each offence (kind, epoch, round, signer) is recorded once.
//
// The offences a chain convicted are part of its state (a leaf each in the state tree,
// under OffenceStateKey): "recorded once" is then a rule every node can check from the
// state alone, a node that joined by state sync included, whose history starts after
// them; and a conviction is provable like an account.
#pragma once

#include <string>

#include "cairn/v1/evidence.pb.h"
#include "cairn/v1/state.pb.h"
#include "crypto/bytes.h"
#include "crypto/verifier.h"

namespace cairn::ledger {

constexpr size_t kMaxEvidencePerBlock = 4;
constexpr uint64_t kMaxEvidenceEpochAge = 1;

// What a valid piece of evidence proves.
struct Offence {
  enum class Kind { kDoubleVote, kDoubleProposal } kind = Kind::kDoubleVote;
  uint64_t epoch = 0;
  uint64_t round = 0;
  uint32_t signer = 0;  // index in the set of `epoch`
  std::string signer_name;
  Bytes signer_key;
  // Identity for duplicates: kind, epoch, round, signer.
  Bytes Id() const;
};

// Where the state tree records `offence`: DomainHash(kOffence, "", its Id), which no
// account's key (SHA-256 of an address) can be.
Hash OffenceStateKey(const Offence& offence);
// The record of `offence` carried by the block at `height` at position `index`: whom it
// convicts, without the evidence itself. Serialized, it is what the state tree records
// under OffenceStateKey; with the evidence, what the evidence index keeps (keys.h v).
v1::EvidenceRecord OffenceRecord(const Offence& offence, uint64_t height, uint32_t index);

// The epoch a piece of evidence claims (before any check), to find its set.
uint64_t EpochOfEvidence(const v1::Evidence& evidence);

// The Merkle root of a block's evidence (its header's evidence_root).
Hash EvidenceRoot(std::string_view chain_id, const google::protobuf::RepeatedPtrField<v1::Evidence>& evidence);

// Checks `evidence` against `set`, the validator set of its epoch: both messages are
// of one epoch, round and signer, they differ, and both signatures are the signer's.
Result<Offence> CheckEvidence(std::string_view chain_id, const v1::Evidence& evidence, const v1::ValidatorSet& set,
                              crypto::SignatureVerifier& verifier);

}  // namespace cairn::ledger
