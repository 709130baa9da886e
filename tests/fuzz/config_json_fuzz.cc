// A node's JSON config: parsed, paths resolved, every field checked (node/config.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "node/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cairn::node::ParseNodeConfig(std::string_view(reinterpret_cast<const char*>(data), size), "/etc/cairn");
  return 0;
}
