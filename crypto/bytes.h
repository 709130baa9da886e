// Byte strings and fixed-size digests.
//
// Byte strings are std::string because that is what protobuf uses for `bytes`
// fields: no copies at the schema boundary.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace cairn {

using Bytes = std::string;
using ByteView = std::string_view;

// A SHA-256 digest.
using Hash = std::array<uint8_t, 32>;

inline ByteView AsView(const Hash& h) {
  return ByteView(reinterpret_cast<const char*>(h.data()), h.size());
}
inline Bytes ToBytes(const Hash& h) { return Bytes(AsView(h)); }

// For unordered containers keyed by a digest: its first bytes are already uniform.
struct HashHasher {
  size_t operator()(const Hash& h) const {
    size_t v;
    static_assert(sizeof(v) <= sizeof(Hash));
    __builtin_memcpy(&v, h.data(), sizeof(v));
    return v;
  }
};

// Parses exactly 32 bytes into a Hash.
Result<Hash> HashFromBytes(ByteView bytes);

// Lower-case hex, two characters a byte.
std::string ToHex(ByteView bytes);
inline std::string ToHex(const Hash& h) { return ToHex(AsView(h)); }
// Accepts upper or lower case; an odd length or a non-hex character is an error.
Result<Bytes> FromHex(std::string_view hex);

// Big-endian fixed-width encodings: used in storage keys (so that keys sort by number)
// and in signed statements (so that the layout is fixed).
void AppendU64(Bytes* out, uint64_t value);
inline Bytes U64Bytes(uint64_t value) {
  Bytes out;
  AppendU64(&out, value);
  return out;
}
void AppendU32(Bytes* out, uint32_t value);
uint64_t ReadU64(ByteView in);  // in.size() must be >= 8
uint32_t ReadU32(ByteView in);  // in.size() must be >= 4

}  // namespace cairn
