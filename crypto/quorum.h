// Verification of a quorum of signatures over one statement: the core of checking a
// certificate. Generic (no blocks, no protobuf) so that consensus/ and the ledger's
// audit both use it without depending on each other.
#pragma once

#include <cstdint>
#include <span>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/verifier.h"

namespace cairn::crypto {

// n = 3f + 1 tolerates f faults; a quorum is n - f, so any two quorums share at least
// f + 1 members, one of them honest. For n not of the form 3f + 1 this still holds with
// f = floor((n - 1) / 3).
inline size_t MaxFaulty(size_t n) { return n == 0 ? 0 : (n - 1) / 3; }
inline size_t QuorumSize(size_t n) { return n - MaxFaulty(n); }

struct SignerSignature {
  uint32_t signer_index;
  ByteView signature;
};

// OK when `signatures` holds at least QuorumSize(keys.size()) valid signatures of
// `message` by distinct members of `keys`, listed in strictly increasing index order
// (which rules out duplicates cheaply). Any out-of-range index, duplicate, or invalid
// signature is an error naming it: a certificate with one bad signature is rejected
// rather than trimmed, because an honest aggregator never produces one.
Status VerifyQuorum(ByteView message, std::span<const SignerSignature> signatures,
                    std::span<const PublicKey> keys, SignatureVerifier& verifier);

}  // namespace cairn::crypto
