#include "ledger/tree_node.h"

#include <algorithm>

#include "crypto/check.h"
#include "crypto/domain.h"
#include "crypto/sha256.h"

namespace cairn::ledger::tree {

namespace {

constexpr uint8_t kLeafEncoding = 0;
constexpr uint8_t kInternalEncoding = 1;
constexpr size_t kLeafHeaderBytes = 1 + 32;
constexpr size_t kChildBytes = 8 + 32;

void AppendU16(Bytes* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

uint16_t ReadU16(ByteView in) {
  return static_cast<uint16_t>((static_cast<uint8_t>(in[0]) << 8) | static_cast<uint8_t>(in[1]));
}

Hash ReadHash(ByteView in) {
  Hash h;
  std::copy_n(reinterpret_cast<const uint8_t*>(in.data()), h.size(), h.begin());
  return h;
}

bool CanonicalChildren(const std::vector<Child>& children) {
  if (children.empty()) return false;
  return children.size() > 1 || !children[0].ref.is_leaf;
}

}  // namespace

NibblePath NibblePath::Child(int nibble) const {
  CAIRN_CHECK(length < kMaxNibbles && nibble >= 0 && nibble < kRadix);
  NibblePath child = *this;
  uint8_t& byte = child.nibbles[length / 2];
  byte = static_cast<uint8_t>(length % 2 == 0 ? (nibble << 4) : (byte | nibble));
  ++child.length;
  return child;
}

NodeKeyBuffer::NodeKeyBuffer(Version version, const NibblePath& path) {
  bytes_[0] = kNodeTag;
  for (int i = 0; i < 8; ++i) bytes_[1 + i] = static_cast<char>(version >> (56 - 8 * i));
  bytes_[9] = static_cast<char>(path.length);
  const size_t packed = (path.length + 1) / 2;
  std::copy_n(reinterpret_cast<const char*>(path.nibbles.data()), packed, bytes_.begin() + 10);
  size_ = 10 + packed;
}

NodeKeyBuffer::NodeKeyBuffer(ByteView key) {
  CAIRN_CHECK(key.size() <= kMaxBytes);
  std::copy(key.begin(), key.end(), bytes_.begin());
  size_ = key.size();
}

const ChildRef* Node::ChildAt(int nibble) const {
  auto it = std::lower_bound(children.begin(), children.end(), nibble,
                             [](const tree::Child& c, int n) { return c.nibble < n; });
  return it != children.end() && it->nibble == nibble ? &it->ref : nullptr;
}

size_t Node::MemoryBytes() const {
  return sizeof(Node) + value.capacity() + children.capacity() * sizeof(tree::Child);
}

Hash ValueHash(ByteView value) { return crypto::DomainHash(crypto::Purpose::kAccountLeaf, "", value); }

Hash LeafHash(const Hash& key, const Hash& value_hash) {
  thread_local crypto::Sha256 hasher;
  static constexpr char kLeafPrefix = '\0';
  return hasher.Update(ByteView(&kLeafPrefix, 1)).Update(key).Update(value_hash).Finish();
}

Hash InternalHash(const Hash& left, const Hash& right) {
  thread_local crypto::Sha256 hasher;
  static constexpr char kInternalPrefix = '\1';
  return hasher.Update(ByteView(&kInternalPrefix, 1)).Update(left).Update(right).Finish();
}

NodePtr MakeLeaf(const Hash& key, Bytes value) {
  auto node = std::make_shared<Node>();
  node->is_leaf = true;
  node->key = key;
  node->value_hash = ValueHash(value);
  node->value = std::move(value);
  node->hash = LeafHash(key, node->value_hash);
  return node;
}

NodePtr MakeInternal(std::vector<Child> children) {
  CAIRN_CHECK(CanonicalChildren(children));
  auto node = std::make_shared<Node>();
  node->hash = RangeHash(children, 0, kRadix);
  node->children = std::move(children);
  return node;
}

Hash RangeHash(const std::vector<Child>& children, int lo, int hi) {
  auto first = std::lower_bound(children.begin(), children.end(), lo,
                                [](const Child& c, int n) { return c.nibble < n; });
  auto last = std::lower_bound(first, children.end(), hi, [](const Child& c, int n) { return c.nibble < n; });
  if (first == last) return Hash{};
  if (last - first == 1 && (first->ref.is_leaf || hi - lo == 1)) return first->ref.hash;
  const int mid = (lo + hi) / 2;
  return InternalHash(RangeHash(children, lo, mid), RangeHash(children, mid, hi));
}

Bytes EncodeNode(const Node& node) {
  Bytes out;
  if (node.is_leaf) {
    out.reserve(kLeafHeaderBytes + node.value.size());
    out.push_back(static_cast<char>(kLeafEncoding));
    out.append(AsView(node.key));
    out.append(node.value);
    return out;
  }
  uint16_t exists = 0, leaves = 0;
  for (const Child& c : node.children) {
    exists |= static_cast<uint16_t>(1u << c.nibble);
    if (c.ref.is_leaf) leaves |= static_cast<uint16_t>(1u << c.nibble);
  }
  out.reserve(5 + node.children.size() * kChildBytes);
  out.push_back(static_cast<char>(kInternalEncoding));
  AppendU16(&out, exists);
  AppendU16(&out, leaves);
  for (const Child& c : node.children) {
    AppendU64(&out, c.ref.version);
    out.append(AsView(c.ref.hash));
  }
  return out;
}

Result<NodePtr> DecodeNode(ByteView bytes, const Hash& expected_hash) {
  if (bytes.empty()) return Status::Corruption("a state tree node record is empty");
  NodePtr node;
  if (static_cast<uint8_t>(bytes[0]) == kLeafEncoding) {
    if (bytes.size() < kLeafHeaderBytes) return Status::Corruption("a state tree leaf record is truncated");
    node = MakeLeaf(ReadHash(bytes.substr(1)), Bytes(bytes.substr(kLeafHeaderBytes)));
  } else if (static_cast<uint8_t>(bytes[0]) == kInternalEncoding && bytes.size() >= 5) {
    const uint16_t exists = ReadU16(bytes.substr(1));
    const uint16_t leaves = ReadU16(bytes.substr(3));
    std::vector<Child> children;
    for (int nibble = 0; nibble < kRadix; ++nibble) {
      if (exists & (1u << nibble)) children.push_back({static_cast<uint8_t>(nibble), {{}, 0, (leaves & (1u << nibble)) != 0}});
    }
    if ((leaves & ~exists) != 0 || bytes.size() != 5 + children.size() * kChildBytes || !CanonicalChildren(children)) {
      return Status::Corruption("a state tree internal node record is malformed");
    }
    for (size_t i = 0; i < children.size(); ++i) {
      ByteView child = bytes.substr(5 + i * kChildBytes);
      children[i].ref.version = ReadU64(child);
      children[i].ref.hash = ReadHash(child.substr(8));
    }
    node = MakeInternal(std::move(children));
  } else {
    return Status::Corruption("a state tree node record has an unknown encoding");
  }
  if (node->hash != expected_hash) {
    return Status::Corruption("a state tree node does not hash to what its parent names: the database is damaged");
  }
  return node;
}

}  // namespace cairn::ledger::tree
