// The RFC 6962 (Certificate Transparency) Merkle tree over a list of 32-byte leaves:
//   leaf hash = SHA-256(0x00 || leaf), node hash = SHA-256(0x01 || left || right),
//   the empty tree's root = SHA-256("").
// The distinct prefixes stop a leaf from being passed off as an inner node. Used for
// the transactions and receipts roots of a block; a client checks an inclusion proof
// with VerifyMerkleInclusion and nothing else.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "crypto/bytes.h"

namespace cairn::crypto {

Hash MerkleLeafHash(const Hash& leaf);
Hash MerkleNodeHash(const Hash& left, const Hash& right);

// Root of the tree over `leaves`, in order.
Hash MerkleRoot(std::span<const Hash> leaves);

// The audit path of leaf `index` (RFC 6962 2.1.1), from the leaf level upwards.
// `index` must be < leaves.size().
std::vector<Hash> MerkleInclusionProof(std::span<const Hash> leaves, size_t index);

// RFC 9162 2.1.3.2: true when `proof` shows that `leaf` is at `index` in a tree of
// `tree_size` leaves whose root is `root`.
bool VerifyMerkleInclusion(const Hash& leaf, uint64_t index, uint64_t tree_size,
                           std::span<const Hash> proof, const Hash& root);

}  // namespace cairn::crypto
