#include "node/voted_block_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "crypto/sha256.h"
#include "node/durable_file.h"

namespace cairn::node {

namespace {

constexpr size_t kHeaderBytes = 8 + 4;  // height, length
constexpr size_t kDigestBytes = 32;

std::string EncodeEntry(uint64_t height, const v1::Block& block) {
  std::string out;
  AppendU64(&out, height);
  const std::string payload = block.SerializeAsString();
  AppendU32(&out, static_cast<uint32_t>(payload.size()));
  out += payload;
  out += AsView(crypto::Sha256Of(out));
  return out;
}

// The entries of one segment up to the first that does not check (a torn append).
std::vector<std::pair<uint64_t, v1::Block>> DecodeSegment(std::string_view bytes) {
  std::vector<std::pair<uint64_t, v1::Block>> entries;
  while (bytes.size() >= kHeaderBytes + kDigestBytes) {
    const uint64_t length = ReadU32(bytes.substr(8));
    if (bytes.size() < kHeaderBytes + length + kDigestBytes) break;
    const std::string_view signed_part = bytes.substr(0, kHeaderBytes + length);
    if (AsView(crypto::Sha256Of(signed_part)) != bytes.substr(signed_part.size(), kDigestBytes)) break;
    v1::Block block;
    if (!block.ParseFromArray(bytes.data() + kHeaderBytes, static_cast<int>(length))) break;
    entries.emplace_back(ReadU64(bytes), std::move(block));
    bytes.remove_prefix(signed_part.size() + kDigestBytes);
  }
  return entries;
}

Result<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Errno("opening " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return Errno("reading " + path);
  return bytes.str();
}

}  // namespace

Result<std::unique_ptr<VotedBlockLog>> VotedBlockLog::Open(std::string folder, uint64_t head_height) {
  std::unique_ptr<VotedBlockLog> log(new VotedBlockLog(std::move(folder)));
  // A crash inside an earlier Open, after segment 0 was rewritten and before segment 1
  // was emptied, leaves blocks in both: each is kept once.
  std::set<std::string> headers;
  for (int s = 0; s < 2; ++s) {
    if (!Exists(log->PathOf(s))) continue;
    CAIRN_ASSIGN_OR_RETURN(std::string bytes, ReadWhole(log->PathOf(s)));
    for (auto& [height, block] : DecodeSegment(bytes)) {
      if (height > head_height && headers.insert(block.header()).second) log->kept_.emplace_back(height, std::move(block));
    }
  }
  std::string fresh;
  for (const auto& [height, block] : log->kept_) {
    fresh += EncodeEntry(height, block);
    log->segments_[0].max_height = std::max(log->segments_[0].max_height, height);
  }
  log->segments_[0].bytes = fresh.size();
  CAIRN_RETURN_IF_ERROR(CreateFile(log->folder_, kSegmentNames[0], fresh));
  CAIRN_RETURN_IF_ERROR(CreateFile(log->folder_, kSegmentNames[1], ""));
  for (int s = 0; s < 2; ++s) {
    log->segments_[s].fd = ::open(log->PathOf(s).c_str(), O_WRONLY | O_CLOEXEC);
    if (log->segments_[s].fd < 0) return Errno("opening " + log->PathOf(s));
  }
  return log;
}

VotedBlockLog::~VotedBlockLog() {
  for (const Segment& segment : segments_) {
    if (segment.fd >= 0) ::close(segment.fd);
  }
}

Status VotedBlockLog::Append(v1::Block block, uint64_t committed_height) {
  v1::BlockHeader header;
  if (!header.ParseFromString(block.header())) return Status::InvalidArgument("a voted block's header does not parse");
  std::erase_if(kept_, [&](const auto& entry) { return entry.first <= committed_height; });
  const int other = 1 - active_;
  if (segments_[active_].bytes > kSegmentBytes && segments_[other].max_height <= committed_height) {
    // Everything in the other segment is committed: it starts again. The append's
    // fdatasync below makes the new length durable too.
    if (::ftruncate(segments_[other].fd, 0) != 0) return Errno("emptying " + PathOf(other));
    segments_[other] = {segments_[other].fd, 0, 0};
    active_ = other;
  }
  Segment& segment = segments_[active_];
  const std::string entry = EncodeEntry(header.height(), block);
  CAIRN_RETURN_IF_ERROR(WriteAt(segment.fd, segment.bytes, entry, PathOf(active_)));
  if (::fdatasync(segment.fd) != 0) return Errno("syncing " + PathOf(active_));
  segment.bytes += entry.size();
  segment.max_height = std::max(segment.max_height, header.height());
  kept_.emplace_back(header.height(), std::move(block));
  return Status::Ok();
}

std::vector<v1::Block> VotedBlockLog::Above(uint64_t height) const {
  std::vector<std::pair<uint64_t, const v1::Block*>> above;
  for (const auto& [h, block] : kept_) {
    if (h > height) above.emplace_back(h, &block);
  }
  std::stable_sort(above.begin(), above.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<v1::Block> blocks;
  for (const auto& [h, block] : above) blocks.push_back(*block);
  return blocks;
}

}  // namespace cairn::node
