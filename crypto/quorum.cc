#include "crypto/quorum.h"

#include <string>

namespace cairn::crypto {

Status VerifyQuorum(ByteView message, std::span<const SignerSignature> signatures,
                    std::span<const PublicKey> keys, SignatureVerifier& verifier) {
  const size_t quorum = QuorumSize(keys.size());
  if (signatures.size() < quorum) {
    return Status::InvalidArgument("certificate has " + std::to_string(signatures.size()) +
                                   " signatures, a quorum of " + std::to_string(keys.size()) +
                                   " validators needs " + std::to_string(quorum));
  }
  if (signatures.size() > keys.size()) {
    return Status::InvalidArgument("certificate has more signatures than validators");
  }
  int64_t previous = -1;
  for (const SignerSignature& s : signatures) {
    if (s.signer_index >= keys.size()) {
      return Status::InvalidArgument("certificate names validator " +
                                     std::to_string(s.signer_index) + " of a set of " +
                                     std::to_string(keys.size()));
    }
    if (static_cast<int64_t>(s.signer_index) <= previous) {
      return Status::InvalidArgument("certificate signers are duplicated or out of order at " +
                                     std::to_string(s.signer_index));
    }
    previous = s.signer_index;
    if (!verifier.Verify(keys[s.signer_index], message, s.signature)) {
      return Status::InvalidArgument("certificate signature of validator " +
                                     std::to_string(s.signer_index) + " is invalid");
    }
  }
  return Status::Ok();
}

}  // namespace cairn::crypto
