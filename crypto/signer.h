// Where a validator's consensus signatures come from when the key is not in this
// process: a PKCS#11 token (node/token_signer.h). Consensus asks for signatures, never
// for keys (architecture, "Where the second wave's parts belong"); a key file's key
// signs in place (PrivateKey).
#pragma once

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/status.h"

namespace cairn::crypto {

class Signer {
 public:
  virtual ~Signer() = default;
  // The key the signatures verify under (read from the token when it was opened).
  virtual const PublicKey& public_key() const = 0;
  // The 64-byte Ed25519 signature of `message`, or why there is none. It may block for
  // as long as the device takes: call it from a thread of its own
  // (node/consensus_signer.h), never from the consensus thread.
  virtual Result<Bytes> Sign(ByteView message) = 0;
};

}  // namespace cairn::crypto
