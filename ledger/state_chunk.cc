#include "ledger/state_chunk.h"

#include <algorithm>

namespace cairn::ledger {

Bytes EncodeNibblePath(const tree::NibblePath& path) {
  Bytes out;
  for (int i = 0; i < path.length; ++i) out.push_back(static_cast<char>(tree::NibbleAt(path.nibbles, i)));
  return out;
}

Result<tree::NibblePath> DecodeNibblePath(ByteView bytes) {
  if (bytes.size() > static_cast<size_t>(tree::kMaxNibbles)) {
    return Status::InvalidArgument("a state path has at most 64 nibbles, not " + std::to_string(bytes.size()));
  }
  tree::NibblePath path;
  for (char c : bytes) {
    const auto nibble = static_cast<uint8_t>(c);
    if (nibble >= tree::kRadix) return Status::InvalidArgument("a state path holds nibbles (0-15), not " + std::to_string(nibble));
    path = path.Child(nibble);
  }
  return path;
}

namespace {

v1::StateChunkResponse Refuse(v1::StateChunkResponse response, const std::string& why) {
  response.clear_leaves();
  response.clear_node();
  response.clear_leaf_children();
  response.set_error(why);
  return response;
}

}  // namespace

v1::StateChunkResponse ServeStateChunk(const StateTree& tree, const v1::StateChunkRequest& request,
                                       size_t max_bytes) {
  v1::StateChunkResponse response;
  response.set_version(request.version());
  response.set_path(request.path());
  auto path = DecodeNibblePath(request.path());
  if (!path.ok()) return Refuse(response, path.status().message());
  const std::string where = "version " + std::to_string(tree.version()) + " at path " + ToHex(request.path());
  auto ref = tree.RefAt(*path);
  if (!ref.ok()) return Refuse(response, ref.status().message());
  if (!ref->has_value() || AsView((*ref)->hash) != request.expected_hash()) {
    return Refuse(response, "no node with that hash in " + where);
  }
  const tree::ChildRef& at = **ref;
  const size_t max_leaves = std::clamp<size_t>(request.max_leaves(), 1, kMaxChunkLeaves);
  auto leaves = tree.LeavesUnder(at, *path, max_leaves + 1);
  if (!leaves.ok()) return Refuse(response, leaves.status().message());
  size_t bytes = 0;
  for (const auto& [key, value] : *leaves) bytes += key.size() + value.size();
  if (leaves->size() <= max_leaves && bytes <= max_bytes) {
    for (const auto& [key, value] : *leaves) {
      v1::StateLeaf* leaf = response.add_leaves();
      leaf->set_key(ToBytes(key));
      leaf->set_value(value);
    }
    return response;
  }
  auto node = tree.Load(at, *path);
  if (!node.ok()) return Refuse(response, node.status().message());
  response.set_node(tree::EncodeNode(**node));
  for (const tree::Child& child : (*node)->children) {
    if (!child.ref.is_leaf) continue;
    auto leaf = tree.Load(child.ref, path->Child(child.nibble));
    if (!leaf.ok()) return Refuse(response, leaf.status().message());
    response.add_leaf_children(tree::EncodeNode(**leaf));
  }
  return response;
}

}  // namespace cairn::ledger
