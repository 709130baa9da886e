// The nodes of the state tree as they are stored: the Jellyfish layout (Aptos/Diem).
//
// The tree is logically the compressed binary sparse Merkle tree that state_tree.h
// describes; on disk it is stored 16-ary, one node per four binary levels:
//  - a leaf holds a key and the value bytes (so that any stored version can be read and
//    served, not only the newest); its value hash is derived from the bytes, so damaged
//    bytes cannot hide behind an intact hash;
//  - an internal node holds, for each of its 16 child slots that is not empty, the
//    child's hash, the version that wrote it and whether it is a leaf. Its hash is the
//    hash of the binary subtree over those slots, so roots and proofs are the binary
//    tree's, bit for bit.
// Canonical shape: an internal node has two children or more, or one internal child; a
// subtree holding one leaf is that leaf, stored in the slot where it is alone.
//
// A node is immutable and named by the version (block height) that wrote it and its
// position, the nibbles of the path to it: NodeKey. Keys begin with the version, so the
// nodes of one block are written side by side and LevelDB appends rather than
// rewrites.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace cairn::ledger::tree {

using Version = uint64_t;

inline constexpr int kRadix = 16;
inline constexpr int kMaxNibbles = 64;  // a 256-bit key
inline constexpr char kNodeTag = 'n';   // keys.h: n <version> <nibble count> <nibbles>

// The nibble at `index` of a key, high nibble of byte 0 first.
inline int NibbleAt(const Hash& key, int index) {
  const uint8_t byte = key[index / 2];
  return index % 2 == 0 ? byte >> 4 : byte & 0x0f;
}

// The bit at `depth` of a key, most significant bit of byte 0 first.
inline bool BitAt(const Hash& key, int depth) { return (key[depth / 8] >> (7 - depth % 8)) & 1; }

// A position in the tree: the first `length` nibbles of `nibbles` (the rest are zero).
struct NibblePath {
  Hash nibbles{};
  uint8_t length = 0;

  NibblePath Child(int nibble) const;
  bool operator==(const NibblePath&) const = default;
};

// The storage key of the node written by `version` at `path`, in a buffer of its own:
// looking a node up builds one, and the nodes of a version and the cache keep theirs,
// with no allocation.
class NodeKeyBuffer {
 public:
  NodeKeyBuffer(Version version, const NibblePath& path);
  // A copy of a node key (at most kMaxBytes).
  explicit NodeKeyBuffer(ByteView key);
  ByteView view() const { return ByteView(bytes_.data(), size_); }
  bool operator<(const NodeKeyBuffer& other) const { return view() < other.view(); }
  bool operator==(const NodeKeyBuffer& other) const { return view() == other.view(); }
  static constexpr size_t kMaxBytes = 1 + 8 + 1 + kMaxNibbles / 2;

 private:
  std::array<char, kMaxBytes> bytes_;
  size_t size_ = 0;
};
inline Bytes NodeKey(Version version, const NibblePath& path) { return Bytes(NodeKeyBuffer(version, path).view()); }

// How a parent names a child.
struct ChildRef {
  Hash hash{};
  Version version = 0;
  bool is_leaf = false;
  bool operator==(const ChildRef&) const = default;
};

struct Child {
  uint8_t nibble = 0;
  ChildRef ref;
};

struct Node {
  Hash hash{};
  bool is_leaf = false;
  // A leaf.
  Hash key{};
  Hash value_hash{};
  Bytes value;
  // An internal node: the children present, by nibble ascending.
  std::vector<Child> children;

  // The child in slot `nibble`, or null for an empty slot.
  const ChildRef* ChildAt(int nibble) const;
  // Bytes of memory it holds: what the node cache charges for it.
  size_t MemoryBytes() const;
};
using NodePtr = std::shared_ptr<const Node>;

// What a leaf commits to for its value: DomainHash(kAccountLeaf, "", value).
Hash ValueHash(ByteView value);
Hash LeafHash(const Hash& key, const Hash& value_hash);
Hash InternalHash(const Hash& left, const Hash& right);

NodePtr MakeLeaf(const Hash& key, Bytes value);
// `children` sorted by nibble, distinct, in the canonical shape.
NodePtr MakeInternal(std::vector<Child> children);

// The hash of the binary subtree over child slots [lo, hi) of an internal node: empty is
// zeros, a range that holds one leaf and nothing else is that leaf's hash, one slot is
// its child's hash, and any other range is InternalHash of its two halves.
Hash RangeHash(const std::vector<Child>& children, int lo, int hi);

// The stored form. Decode rejects anything Encode cannot produce and checks that the
// node hashes to `expected_hash` (what its parent or root record names), so a damaged
// record is an error, never a wrong answer.
Bytes EncodeNode(const Node& node);
Result<NodePtr> DecodeNode(ByteView bytes, const Hash& expected_hash);

}  // namespace cairn::ledger::tree
