#include "crypto/merkle.h"

#include "crypto/check.h"
#include "crypto/sha256.h"

namespace cairn::crypto {

Hash MerkleLeafHash(const Hash& leaf) {
  thread_local Sha256 hasher;
  static constexpr char kLeafPrefix = '\0';
  return hasher.Update(ByteView(&kLeafPrefix, 1)).Update(leaf).Finish();
}

Hash MerkleNodeHash(const Hash& left, const Hash& right) {
  thread_local Sha256 hasher;
  static constexpr char kNodePrefix = '\1';
  return hasher.Update(ByteView(&kNodePrefix, 1)).Update(left).Update(right).Finish();
}

// Bottom-up construction: pair neighbours, carry a lone last node up unchanged. This
// builds exactly RFC 6962's left-balanced tree (split at the largest power of two).
Hash MerkleRoot(std::span<const Hash> leaves) {
  if (leaves.empty()) return Sha256Of("");
  std::vector<Hash> level;
  level.reserve(leaves.size());
  for (const Hash& leaf : leaves) level.push_back(MerkleLeafHash(leaf));
  while (level.size() > 1) {
    size_t out = 0;
    for (size_t i = 0; i < level.size(); i += 2) {
      level[out++] = (i + 1 < level.size()) ? MerkleNodeHash(level[i], level[i + 1]) : level[i];
    }
    level.resize(out);
  }
  return level[0];
}

std::vector<Hash> MerkleInclusionProof(std::span<const Hash> leaves, size_t index) {
  CAIRN_CHECK(index < leaves.size());
  std::vector<Hash> level;
  level.reserve(leaves.size());
  for (const Hash& leaf : leaves) level.push_back(MerkleLeafHash(leaf));
  std::vector<Hash> proof;
  while (level.size() > 1) {
    size_t sibling = index ^ 1;
    if (sibling < level.size()) proof.push_back(level[sibling]);
    size_t out = 0;
    for (size_t i = 0; i < level.size(); i += 2) {
      level[out++] = (i + 1 < level.size()) ? MerkleNodeHash(level[i], level[i + 1]) : level[i];
    }
    level.resize(out);
    index >>= 1;
  }
  return proof;
}

bool VerifyMerkleInclusion(const Hash& leaf, uint64_t index, uint64_t tree_size,
                           std::span<const Hash> proof, const Hash& root) {
  if (index >= tree_size) return false;
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  Hash r = MerkleLeafHash(leaf);
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = MerkleNodeHash(p, r);
      // A right-most node with no sibling at some levels: skip those levels.
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = MerkleNodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

}  // namespace cairn::crypto
