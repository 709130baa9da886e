// Keys and signatures that a lax Ed25519 verifier (OpenSSL's, for one) accepts and
// Cairn's signature rule (crypto/ed25519.h) refuses, for the tests that show every
// place a key or a signature enters refuses them.
#pragma once

#include <string_view>
#include <vector>

#include "cairn/v1/block.pb.h"
#include "crypto/bytes.h"
#include "crypto/ed25519.h"

namespace cairn::test {

// The eight points of small order (the identity, then the multiples of a point of
// order 8), canonically encoded, computed by point addition rather than listed.
std::vector<Bytes> SmallOrderKeys();
// Encodings of y >= p = 2^255 - 19, with either sign bit; some are points
// (the identity as y = p + 1), some are not.
std::vector<Bytes> NonCanonicalKeys();
// A real key plus a point of order 8: canonical and not of small order, so it passes
// PublicKey::FromBytes, yet no secret makes it (ParseNewKey refuses it).
Bytes MixedOrderKey(const crypto::PublicKey& real);

// The identity as a key: with R = the identity and S = 0 (ForgedSignature) "signs"
// every message under a lax verifier.
Bytes IdentityKey();
Bytes ForgedSignature();

// A signature of `message` by the holder of the key made from `seed`, with R = the
// identity (a point of small order) and S = k * a: lax verifiers accept it, the strict
// rule refuses it.
Bytes SmallOrderRSignature(ByteView seed, ByteView message);

// A transfer of `amount` CAIRN to `to` from the identity key, "signed" with
// ForgedSignature: what a lax verifier takes as a valid transaction.
v1::Transaction ForgedTransfer(std::string_view chain_id, ByteView to, uint64_t amount);
// `tx` (from the key made from `seed`) signed again with R = the identity.
v1::Transaction WithSmallOrderR(v1::Transaction tx, ByteView seed, std::string_view chain_id);

}  // namespace cairn::test
